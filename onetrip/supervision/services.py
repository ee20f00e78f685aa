"""Supervision writes: alert rules, and the sweep that colours tasks, reminds and records overdue work.

**Watch state.** `flow.TaskRecord.watched` is False on a new task (flow never sets it, so no hook in flow is
needed): the sweep finds new tasks through the partial index `flow_task_unwatched`, sets it once, and keeps
the task's state in its own narrow table `TaskWatch` (alert green/yellow/red, warning and overdue points,
`watch_at` — the next instant the sweep must look at the task —, rule, reminders) while the task is open.
After that the sweep reads only watch rows whose `watch_at` has come (index `supervision_watch_due`): about
once per point (warning, overdue, each reminder slot), once a working day for a red task with nothing left
to announce, and once more after the task is closed, when its row is deleted. Keeping this state off
`flow.TaskRecord` matters for speed: that table has a dozen indexes, so every sweep write there would be a
non-HOT update maintaining all of them (measured ~110 µs a row); a watch row has three.

**Points.** Working days counted from the task's creation with the official calendar (次日起算, the period ends
at the close of office hours on its last day, as for every deadline): yellow after `warn_after_days`, red
after `overdue_after_days` of the task's rule (its item's rule, else the global default; for a bundle case the
item of the member subprocess the task belongs to; the bundle's own window steps take the global rule).
The task's own step limit (`due_at`) counts too: it is overdue at the earlier of the two, and when its step
deadline comes before the rule's overdue point, it turns yellow at the earlier of the rule's warning point and
the flow's warning share of the step's time (settings.FLOW_WARNING_SHARE, as the inbox's countdown does).
Pauses stop the supervision clock as they stop the flow's: a closed pause (correction, suspension, special
procedure) adds the working days it covered, as the engine gives them back to the step; while a pause is open
the colour stays where it was at the pause and the row is looked at again every PAUSE_RECHECK. Tasks outside
the flow (承诺核查, 协办) are not paused, as in the engine. Colours never go back (a relaxed rule or an
extension does not undo a warning that was given).

**Effects.** Turning yellow notifies the handler (the assignee, else the department's handlers, or its leaders
for a leader's step); turning red notifies the handler and the department's leaders and writes one
`OverdueRecord` (unique per task) for accountability; both record a `warned`/`overdue` fact for the stats
rollups. From `remind_from_days` on, every working day at the rule's reminder times (Dongyang: morning, noon,
evening) the handler — and the leaders when `remind_leader` — get a reminder; a sweep that was down does
not send the slots it missed in a burst, only the latest. A closed task is seen once more at its next point:
it stops there, and if it was closed after its overdue point without a sweep seeing it red, it is still
recorded as overdue (without notifications).

**Exactly once.** Each batch is one transaction: rows are taken with SELECT … FOR UPDATE SKIP LOCKED on
PostgreSQL (SQLite serialises writers with IMMEDIATE transactions), and notifications, stats facts, overdue
records and the new watch state commit together. Notification dedup keys are deterministic
(`task-warn:<task>:u<user>`, `task-overdue:…`, `task-remind:<task>:<date>:<slot>:u<user>`), so even a re-run
over the same instant or a second worker never sends the same message twice.

**Cost.** Set-based per batch: one SELECT (joined with the task, its case and instance; on PostgreSQL read
with psycopg's C loaders, `core.bulk.fetch_values`), working-day points from a cache keyed by (acceptance
day, day count) — computed once per distinct creation day and rule, not per row —, and on PostgreSQL every
write by COPY (`core.bulk`): the new states into a temporary table and one upsert from it, the notifications
and their dispatches, the facts, the overdue records. `threads` (settings.SUPERVISION_SWEEP_THREADS) works
the batches in several threads with their own connections, so Python and PostgreSQL overlap. The outbox
and overdue tables have no database foreign keys: PostgreSQL checks each one per row at commit, which cost
this sweep as much as everything else together (see the models).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.urls import reverse

from onetrip.catalog.models import Item
from onetrip.core.audit import audit_record
from onetrip.core.bulk import copy_to_temp, fetch_values, timestamp_text
from onetrip.core.errors import Conflict, DomainError, ErrorDetail, Forbidden
from onetrip.flow.models import OPEN_TASK_STATUSES, ProcessInstanceRecord, TaskKind, TaskRecord
from onetrip.flow.selectors import warning_share
from onetrip.intake.models import Case
from onetrip.notify.services import NotificationDraft, notify_send_many
from onetrip.orgs.models import Department, Role, RoleAssignment, User
from onetrip.orgs.permissions import roles_of
from onetrip.stats.models import StatKind
from onetrip.stats.services import stats_record_many
from onetrip.supervision.models import DEFAULT_REMINDER_TIMES, AlertLevel, AlertRule, OverdueRecord, TaskWatch
from onetrip.supervision.scope import supervisor_scope
from onetrip.workdays.core import SHANGHAI, Calendar, CalendarError
from onetrip.workdays.selectors import calendar_current

logger = logging.getLogger(__name__)

UTC = dt.UTC
OPEN = tuple(str(s) for s in OPEN_TASK_STATUSES)
LEVEL = {"": 0, "green": 1, "yellow": 2, "red": 3}
FLOW = TaskKind.FLOW.value
LEVEL_NAME = {0: "", 1: AlertLevel.GREEN.value, 2: AlertLevel.YELLOW.value, 3: AlertLevel.RED.value}
PAUSE_RECHECK = dt.timedelta(minutes=30)
MAX_DAYS = 250  # about one working year: a larger threshold is a typo, not a rule
MAX_REMINDERS_PER_DAY = 6
DEFAULT_BATCH = 2000

KIND_WARNING = "task_warning"
KIND_OVERDUE = "task_overdue"
KIND_REMINDER = "task_reminder"


# ------------------------------------------------------------------------------------------ rules


def _bad(code: str, zh: str, en: str, field: str | None = None) -> ErrorDetail:
    return ErrorDetail(code, zh, en, field)


def parse_reminder_times(text: str) -> tuple[dt.time, ...]:
    """ "09:00,12:00,17:00" → times in order. Raises DomainError on a bad, repeated or unordered time."""
    parts = [p.strip() for p in (text or "").replace("，", ",").split(",") if p.strip()]
    times: list[dt.time] = []
    for part in parts:
        try:
            hour, minute = part.split(":")
            value = dt.time(int(hour), int(minute))
        except ValueError:
            raise DomainError(
                _bad(
                    "invalid_time",
                    f"催办时刻“{part}”无效，请写作 09:00",
                    f"Invalid reminder time {part!r}; use HH:MM",
                    "reminder_times",
                )
            ) from None
        times.append(value)
    if times != sorted(set(times)):
        raise DomainError(
            _bad(
                "times_not_ordered",
                "催办时刻须按先后排列且不重复",
                "Reminder times must be in order and distinct",
                "reminder_times",
            )
        )
    if len(times) > MAX_REMINDERS_PER_DAY:
        raise DomainError(
            _bad(
                "too_many_times",
                f"每日催办最多{MAX_REMINDERS_PER_DAY}次",
                f"At most {MAX_REMINDERS_PER_DAY} reminders a day",
                "reminder_times",
            )
        )
    return tuple(times)


def _format_times(times: Sequence[dt.time]) -> str:
    return ",".join(t.strftime("%H:%M") for t in times)


@dataclass(frozen=True)
class RuleInput:
    warn_after_days: int
    overdue_after_days: int
    remind_from_days: int | None = None
    reminder_times: str = DEFAULT_REMINDER_TIMES
    remind_leader: bool = True
    accountability_threshold: int | None = None
    note: str = ""


def check_rule(data: RuleInput, *, is_global: bool) -> str:
    """Every problem at once (so a form shows them together); returns the normalised reminder times."""
    errors: list[ErrorDetail] = []

    def days(value: object, name: str, label: str) -> bool:
        if type(value) is not int or value < 1:
            errors.append(
                _bad("not_positive", f"{label}须为正整数", f"{name} must be a positive integer", name)
            )
            return False
        if value > MAX_DAYS:
            errors.append(
                _bad("too_large", f"{label}不能超过{MAX_DAYS}个工作日", f"{name} is at most {MAX_DAYS}", name)
            )
            return False
        return True

    warn_ok = days(data.warn_after_days, "warn_after_days", "预警天数")
    overdue_ok = days(data.overdue_after_days, "overdue_after_days", "超期天数")
    if warn_ok and overdue_ok and data.warn_after_days >= data.overdue_after_days:
        errors.append(
            _bad(
                "warning_not_before_overdue",
                f"预警（{data.warn_after_days}个工作日）必须早于超期（{data.overdue_after_days}个工作日）",
                "The warning must come before the overdue point",
                "warn_after_days",
            )
        )
    times = ""
    try:
        times = _format_times(parse_reminder_times(data.reminder_times))
    except DomainError as exc:
        errors += exc.errors
    if data.remind_from_days is not None and days(data.remind_from_days, "remind_from_days", "催办起点"):
        if warn_ok and data.remind_from_days < data.warn_after_days:
            errors.append(
                _bad(
                    "escalation_before_warning",
                    f"逐日催办（{data.remind_from_days}个工作日）不能早于预警（{data.warn_after_days}个工作日）",
                    "Escalating reminders cannot start before the warning",
                    "remind_from_days",
                )
            )
        if not times and not any(e.field == "reminder_times" for e in errors):
            errors.append(
                _bad(
                    "times_required",
                    "设置了逐日催办，请填写每日催办时刻",
                    "Reminder times are required when reminders escalate",
                    "reminder_times",
                )
            )
    if data.accountability_threshold is not None:
        if not is_global:
            errors.append(
                _bad(
                    "threshold_global_only",
                    "问责阈值只能在全局默认规则中设置",
                    "The accountability threshold is set on the global rule only",
                    "accountability_threshold",
                )
            )
        elif type(data.accountability_threshold) is not int or not 1 <= data.accountability_threshold <= 1000:
            errors.append(
                _bad(
                    "not_positive",
                    "问责阈值须为1至1000的整数",
                    "The threshold must be an integer from 1 to 1000",
                    "accountability_threshold",
                )
            )
    elif is_global:
        errors.append(
            _bad(
                "required",
                "全局默认规则须设置问责阈值",
                "The global rule needs an accountability threshold",
                "accountability_threshold",
            )
        )
    if len(data.note) > 255:
        errors.append(_bad("too_long", "说明不能超过255字", "The note is at most 255 characters", "note"))
    if errors:
        raise DomainError(*errors)
    return times


def can_manage_rules(user: User | None, item: Item | None) -> bool:
    """System admins; supervisors for items of departments in their scope, and for the global rule only when
    they supervise the whole deployment."""
    if user is None:
        return False
    roles = roles_of(user)
    if Role.SYSTEM_ADMIN in roles:
        return True
    if Role.SUPERVISOR not in roles:
        return False
    scope = supervisor_scope(user)
    if item is None:
        return scope.everything
    return scope.allows_department(item.department_id)


def _check_manager(actor: User, item: Item | None) -> None:
    if not can_manage_rules(actor, item):
        raise Forbidden(
            ErrorDetail("not_entitled", "无权维护该预警规则", "You may not manage this alert rule", "item")
        )


def _reschedule(rule_ids: Iterable[int] = (), task_q: Q | None = None, *, now: dt.datetime) -> int:
    """Have the sweep recompute watched tasks now: those on the given rules, or whose task matches `task_q`
    (their rule is then resolved again)."""
    changed = 0
    ids = list(rule_ids)
    if ids:
        changed += TaskWatch.objects.filter(rule_id__in=ids).update(watch_at=now)
    if task_q is not None:
        tasks = TaskRecord.objects.filter(task_q, status__in=OPEN).values("pk")
        changed += TaskWatch.objects.filter(task_id__in=tasks).update(rule=None, watch_at=now)
    return changed


def _tasks_of_item(item: Item) -> Q:
    """Tasks that may belong to `item`: its own cases and the cases of bundles that contain it."""
    from onetrip.bundles.models import BundleMember

    bundle_versions = BundleMember.objects.filter(item_version__item=item).values("version_id")
    return Q(case__item_version__item=item) | Q(case__bundle_version_id__in=bundle_versions)


@transaction.atomic
def alert_rule_create(*, actor: User, item: Item | None, data: RuleInput, now: dt.datetime) -> AlertRule:
    """A rule for an item (or the global default, when none exists). Open tasks of the item are recomputed
    with it at the next sweep."""
    _check_manager(actor, item)
    times = check_rule(data, is_global=item is None)
    if AlertRule.objects.filter(item=item).exists():
        raise Conflict(
            _bad(
                "rule_exists",
                "该事项已有预警规则，请修改原规则" if item else "全局默认规则已存在",
                "A rule for this item already exists" if item else "The global rule already exists",
                "item",
            )
        )
    try:
        with transaction.atomic():
            rule = AlertRule.objects.create(
                item=item,
                warn_after_days=data.warn_after_days,
                overdue_after_days=data.overdue_after_days,
                remind_from_days=data.remind_from_days,
                reminder_times=times,
                remind_leader=data.remind_leader,
                accountability_threshold=data.accountability_threshold,
                note=data.note.strip(),
                updated_at=now,
                updated_by=actor,
            )
    except IntegrityError:  # a concurrent create of the same item's rule
        raise Conflict(
            _bad("rule_exists", "该事项已有预警规则", "A rule for this item already exists", "item")
        ) from None
    if item is not None:
        _reschedule(task_q=_tasks_of_item(item), now=now)
    audit_record(
        actor=actor,
        action="supervision.rule_create",
        object_type="alert_rule",
        object_id=rule.pk,
        data=_rule_data(rule),
    )
    return rule


@transaction.atomic
def alert_rule_update(*, actor: User, rule: AlertRule, data: RuleInput, now: dt.datetime) -> AlertRule:
    rule = (
        AlertRule.objects.select_for_update(of=("self",), no_key=True).select_related("item").get(pk=rule.pk)
    )
    _check_manager(actor, rule.item)
    times = check_rule(data, is_global=rule.is_global)
    rule.warn_after_days = data.warn_after_days
    rule.overdue_after_days = data.overdue_after_days
    rule.remind_from_days = data.remind_from_days
    rule.reminder_times = times
    rule.remind_leader = data.remind_leader
    rule.accountability_threshold = data.accountability_threshold
    rule.note = data.note.strip()
    rule.updated_at = now
    rule.updated_by = actor
    rule.save()
    _reschedule([rule.pk], now=now)
    audit_record(
        actor=actor,
        action="supervision.rule_update",
        object_type="alert_rule",
        object_id=rule.pk,
        data=_rule_data(rule),
    )
    return rule


@transaction.atomic
def alert_rule_delete(*, actor: User, rule: AlertRule, now: dt.datetime) -> None:
    """An item's rule goes; its open tasks fall back to the global default. The global rule stays."""
    rule = (
        AlertRule.objects.select_for_update(of=("self",), no_key=True).select_related("item").get(pk=rule.pk)
    )
    _check_manager(actor, rule.item)
    if rule.is_global:
        raise Conflict(
            _bad("global_rule", "全局默认规则不能删除，只能修改", "The global rule cannot be deleted", "rule")
        )
    TaskWatch.objects.filter(rule=rule).update(rule=None, watch_at=now)
    audit_record(
        actor=actor,
        action="supervision.rule_delete",
        object_type="alert_rule",
        object_id=rule.pk,
        data=_rule_data(rule),
    )
    rule.delete()


def _rule_data(rule: AlertRule) -> dict[str, Any]:
    return {
        "item": rule.item_id,
        "warn_after_days": rule.warn_after_days,
        "overdue_after_days": rule.overdue_after_days,
        "remind_from_days": rule.remind_from_days,
        "reminder_times": rule.reminder_times,
        "remind_leader": rule.remind_leader,
        "accountability_threshold": rule.accountability_threshold,
    }


# ------------------------------------------------------------------------------------------ sweep


@dataclass(frozen=True, slots=True)
class Rule:
    """What the sweep needs of an AlertRule (a snapshot taken once per sweep)."""

    id: int | None
    warn: int
    overdue: int
    remind_from: int | None
    times: tuple[dt.time, ...]
    remind_leader: bool

    @classmethod
    def of(cls, rule: AlertRule) -> Rule:
        try:
            times = parse_reminder_times(rule.reminder_times)
        except DomainError:
            times = ()
        return cls(
            rule.pk,
            rule.warn_after_days,
            rule.overdue_after_days,
            rule.remind_from_days if times else None,
            times,
            rule.remind_leader,
        )


# Used only when the global row is missing (it is seeded by the migration and cannot be deleted): the same
# Dongyang default, so a broken configuration never stops supervision.
FALLBACK_RULE = Rule(None, 5, 7, None, (), True)


@dataclass
class SweepReport:
    discovered: int = 0  # tasks seen for the first time
    checked: int = 0  # watched tasks read at a due point
    warned: int = 0
    overdue: int = 0
    reminders: int = 0
    notifications: int = 0
    finished: int = 0  # closed tasks the sweep stopped watching

    @classmethod
    def total(cls, reports: Iterable[SweepReport]) -> SweepReport:
        total = cls()
        for report in reports:
            for name, value in report.as_dict().items():
                setattr(total, name, getattr(total, name) + value)
        return total

    def as_dict(self) -> dict[str, int]:
        return {
            "discovered": self.discovered,
            "checked": self.checked,
            "warned": self.warned,
            "overdue": self.overdue,
            "reminders": self.reminders,
            "notifications": self.notifications,
            "finished": self.finished,
        }


# What the sweep reads of a task (paths from flow.TaskRecord), in _Row's order.
_TASK_COLUMNS = (
    "id",
    "case_id",
    "instance_id",
    "task_id",
    "kind",
    "status",
    "department_id",
    "assignee_id",
    "candidate_role",
    "created_at",
    "due_at",
    "closed_at",
    "step_name",
    "case__number",
    "instance__state__p",
)
_WATCH_COLUMNS = (
    *(f"task__{c}" if c != "id" else "task_id" for c in _TASK_COLUMNS),
    "alert",
    "watch_at",
    "rule_id",
    "reminders",
)


@dataclass(slots=True)
class _Row:
    id: int
    case_id: int
    instance_id: int
    task_id: int
    kind: str
    status: str
    department_id: int | None
    assignee_id: int | None
    candidate_role: str
    created_at: dt.datetime
    due_at: dt.datetime | None
    closed_at: dt.datetime | None
    step_name: str
    case_number: str | None
    pauses: list[list[Any]] | None
    alert: str = ""  # "" while the task has no watch state yet
    watch_at: dt.datetime | None = None
    rule_id: int | None = None
    reminders: int = 0


class _Sweep:
    """State shared by the batches of one sweep: rules, working-day points, department staff."""

    def __init__(self, now: dt.datetime) -> None:
        self.now = now
        self.calendar: Calendar = calendar_current()
        self.share = warning_share()
        rules = list(AlertRule.objects.all())
        self.rules: dict[int, Rule] = {r.pk: Rule.of(r) for r in rules}
        self.by_item: dict[int, Rule] = {r.item_id: self.rules[r.pk] for r in rules if r.item_id is not None}
        found = next((self.rules[r.pk] for r in rules if r.item_id is None), None)
        if found is None:
            logger.warning("supervision: no global alert rule; using the built-in default 5/7")
        self.global_rule: Rule = found or FALLBACK_RULE
        self._accepted: dict[tuple[dt.date, bool], dt.date] = {}
        self._points: dict[tuple[dt.date, int], dt.datetime] = {}
        self._next_slot: dict[tuple[tuple[dt.time, ...], dt.datetime], dt.datetime | None] = {}
        self._last_slot: dict[tuple[dt.time, ...], tuple[dt.date, int, dt.datetime] | None] = {}
        self._items_by_code: dict[str, int | None] = {}
        self._local_text: dict[dt.datetime, str] = {}
        self.staff: dict[
            int, tuple[tuple[int, ...], tuple[int, ...]]
        ] = {}  # department → (handlers, leaders)
        self.department_names: dict[int, str] = {}
        self.task_link = task_link_template()
        self.next_morning = self._next_morning()

    # -- working-day points ---------------------------------------------------------------------------

    def accepted_day(self, created: dt.datetime) -> dt.date:
        """The working day a task created at `created` counts from (cut-off and non-working days applied)."""
        local = created.astimezone(SHANGHAI)
        key = (local.date(), local.time() >= self.calendar.office_hours.cutoff_time)
        day = self._accepted.get(key)
        if day is None:
            day = self._accepted[key] = self.calendar.accepted_on(created)
        return day

    def point(self, day: dt.date, days: int) -> dt.datetime:
        """The close of office hours on the `days`-th working day after `day` (次日起算, as every deadline):
        computed once per distinct (day, count), not once per task."""
        key = (day, days)
        at = self._points.get(key)
        if at is None:
            at = self._points[key] = self.calendar.close_of(self.calendar.add_working_days(day, days).date)
        return at

    def pause_shift(
        self, pauses: list[list[Any]] | None, created: dt.datetime, at: dt.datetime
    ) -> tuple[int, dt.datetime | None]:
        """Working days covered by the case's closed pauses since the task was created (what the engine gives
        back to a step), and the start of a pause still open at `at`."""
        if not pauses:
            return 0, None
        shift = 0
        open_since: dt.datetime | None = None
        for entry in pauses:
            start = dt.datetime.fromtimestamp(entry[1], UTC)
            end = (
                dt.datetime.fromtimestamp(entry[2], UTC) if len(entry) > 2 and entry[2] is not None else None
            )
            if start >= at:
                continue
            if end is None:
                open_since = max(start, created)
                continue
            if end <= created:
                continue
            covered = self.calendar.working_days_between_instants(max(start, created), min(end, at)).value
            shift += max(0, covered)
        return shift, open_since

    def _next_morning(self) -> dt.datetime:
        """The opening of the next working day: when a red task without reminders is looked at again (to stop
        watching it once it is closed)."""
        day = self.now.astimezone(SHANGHAI).date()
        for _ in range(60):
            day += dt.timedelta(days=1)
            if self.calendar.is_workday(day):
                break
        return dt.datetime.combine(day, self.calendar.office_hours.periods[0][0], SHANGHAI)

    def local_text(self, at: dt.datetime) -> str:
        text = self._local_text.get(at)
        if text is None:
            text = self._local_text[at] = at.astimezone(SHANGHAI).strftime("%m月%d日%H:%M")
        return text

    # -- reminder slots -------------------------------------------------------------------------------

    def last_slot(self, times: tuple[dt.time, ...]) -> tuple[dt.date, int, dt.datetime] | None:
        """The latest reminder slot at or before now on a working day: (day, slot number, instant)."""
        if times in self._last_slot:
            return self._last_slot[times]
        found = None
        day = self.now.astimezone(SHANGHAI).date()
        for _ in range(60):
            if self.calendar.is_workday(day):
                for i in range(len(times) - 1, -1, -1):
                    at = dt.datetime.combine(day, times[i], SHANGHAI)
                    if at <= self.now:
                        found = (day, i, at)
                        break
                if found:
                    break
            day -= dt.timedelta(days=1)
        self._last_slot[times] = found
        return found

    def next_slot(self, times: tuple[dt.time, ...], not_before: dt.datetime) -> dt.datetime | None:
        """The first reminder slot on a working day strictly after now and not before `not_before`."""
        key = (times, not_before)
        if key in self._next_slot:
            return self._next_slot[key]
        start = max(self.now, not_before)
        day = start.astimezone(SHANGHAI).date()
        found = None
        for _ in range(60):
            if self.calendar.is_workday(day):
                for t in times:
                    at = dt.datetime.combine(day, t, SHANGHAI)
                    if at > self.now and at >= not_before:
                        found = at
                        break
                if found:
                    break
            day += dt.timedelta(days=1)
        self._next_slot[key] = found
        return found

    # -- rules and people -----------------------------------------------------------------------------

    def resolve(self, rows: list[_Row]) -> None:
        """Give every row without a (still existing) rule its rule id: the item's rule, else the global one."""
        need = [r for r in rows if r.rule_id is None or r.rule_id not in self.rules]
        if not need:
            return
        if not self.by_item:  # no item rules: everything takes the global one
            for r in need:
                r.rule_id = self.global_rule.id
            return
        cases = {
            pk: (item_id, bundle_version_id)
            for pk, item_id, bundle_version_id in Case.objects.filter(
                pk__in={r.case_id for r in need}
            ).values_list("pk", "item_version__item_id", "bundle_version_id")
        }
        bundle_rows = [r for r in need if cases.get(r.case_id, (None, None))[1] is not None]
        states = (
            dict(
                ProcessInstanceRecord.objects.filter(pk__in={r.instance_id for r in bundle_rows}).values_list(
                    "pk", "state"
                )
            )
            if bundle_rows
            else {}
        )
        for r in need:
            item_id, bundle_version_id = cases.get(r.case_id, (None, None))
            if bundle_version_id is not None:
                item_id = self._member_item(states.get(r.instance_id) or {}, r.task_id)
            rule = self.by_item.get(item_id) if item_id is not None else None
            r.rule_id = (rule or self.global_rule).id

    def _member_item(self, state: dict[str, Any], task_id: int) -> int | None:
        """The item of the bundle member (subprocess `item:<implementation code>`) a task belongs to."""
        scope = next((t[1] for t in state.get("t") or () if t[0] == task_id), None)
        if scope is None:
            return None
        key = next((str(s[1]) for s in state.get("sc") or () if s[0] == scope), "")
        if not key.startswith("item:"):
            return None
        code = key[5:]
        if code not in self._items_by_code:
            self._items_by_code[code] = (
                Item.objects.filter(implementation_code=code).values_list("pk", flat=True).first()
            )
        return self._items_by_code[code]

    def rule_of(self, row: _Row) -> Rule:
        return self.rules.get(row.rule_id or 0) or self.global_rule

    def load_staff(self, rows: list[_Row]) -> None:
        missing = {r.department_id for r in rows if r.department_id is not None} - self.staff.keys()
        if not missing:
            return
        found: dict[int, tuple[set[int], set[int]]] = {d: (set(), set()) for d in missing}
        for department_id, role, user_id in RoleAssignment.objects.filter(
            department_id__in=sorted(missing), role__in=(Role.HANDLER, Role.LEADER), user__is_active=True
        ).values_list("department_id", "role", "user_id"):
            found[department_id][0 if role == Role.HANDLER else 1].add(user_id)
        for d, (handlers, leaders) in found.items():
            self.staff[d] = (tuple(sorted(handlers)), tuple(sorted(leaders)))
        self.department_names.update(
            Department.objects.filter(pk__in=sorted(missing)).values_list("pk", "name")
        )

    def handlers(self, row: _Row) -> tuple[int, ...]:
        if row.assignee_id is not None:
            return (row.assignee_id,)
        handlers, leaders = self.staff.get(row.department_id or 0, ((), ()))
        if row.candidate_role == Role.LEADER:
            return leaders
        return handlers or leaders

    def leaders(self, row: _Row) -> tuple[int, ...]:
        return self.staff.get(row.department_id or 0, ((), ()))[1]


_LINK: list[str] = []


def task_link_template() -> str:
    """The task page's path with a {} for the id (reversed once per process, not once per row)."""
    if not _LINK:
        _LINK.append(reverse("flow:task", args=[987654321]).replace("987654321", "{}"))
    return _LINK[0]


def _label(row: _Row) -> str:
    step = row.step_name or "办理"
    return f"办件{row.case_number}“{step}”环节" if row.case_number else f"“{step}”环节"


# (task id, alert, warn point, overdue point, next watch, rule id, reminders)
_State = tuple[int, str, dt.datetime, dt.datetime, dt.datetime, int | None, int]


@dataclass
class _Batch:
    states: list[_State] = field(default_factory=list)  # watch rows to insert or update
    finished: list[int] = field(default_factory=list)  # tasks no longer watched (closed)
    seen: list[int] = field(default_factory=list)  # tasks seen for the first time
    drafts: list[NotificationDraft] = field(default_factory=list)
    facts: list[tuple[int, str, dt.datetime, dict[str, Any]]] = field(default_factory=list)
    overdue: list[tuple[int, int, int | None, int | None, int | None, dt.datetime]] = field(
        default_factory=list
    )


def _drafts(
    batch: _Batch,
    recipients: Iterable[int],
    *,
    kind: str,
    key: str,
    title: str,
    body: str,
    link: str,
    data: dict[str, Any],
) -> None:
    append = batch.drafts.append
    for user_id in dict.fromkeys(recipients):
        append(NotificationDraft(user_id, kind, title, f"{key}:u{user_id}", body, link, data))


def _evaluate(s: _Sweep, row: _Row, batch: _Batch, report: SweepReport) -> None:
    now = s.now
    rule = s.rule_of(row)
    is_open = row.status in OPEN
    at = now if is_open else (row.closed_at or now)
    try:
        shift, open_since = (
            s.pause_shift(row.pauses, row.created_at, at) if row.pauses and row.kind == FLOW else (0, None)
        )
        day = s.accepted_day(row.created_at)
        warn_at = s.point(day, rule.warn + shift)
        overdue_at = s.point(day, rule.overdue + shift)
        remind_at = s.point(day, rule.remind_from + shift) if rule.remind_from else None
    except CalendarError as exc:  # only outside 1990–2099: stop watching rather than fail the batch
        logger.warning("supervision: task %s not watched: %s", row.id, exc.code)
        batch.finished.append(row.id)
        return
    if row.due_at is not None and row.due_at < overdue_at:
        # The step's own limit comes first: overdue then, yellow at the flow's warning share of its time.
        overdue_at = row.due_at
        warn_at = min(warn_at, row.created_at + (row.due_at - row.created_at) * s.share)
    clock = min(at, open_since) if open_since is not None else at
    reached = 3 if clock >= overdue_at else 2 if clock >= warn_at else 1
    old = LEVEL.get(row.alert, 0)
    new = max(old, reached)
    reminders = row.reminders
    if new > old and new >= 2:
        link = s.task_link.format(row.id)
        facts = {"task_id": row.id, "department_id": row.department_id, "assignee_id": row.assignee_id}
        department = s.department_names.get(row.department_id or 0, "")
        label = _label(row)
        if old < 2:
            batch.facts.append((row.case_id, StatKind.WARNED, warn_at, facts))
            report.warned += 1
            if is_open and new == 2:
                _drafts(
                    batch,
                    s.handlers(row),
                    kind=KIND_WARNING,
                    key=f"task-warn:{row.id}",
                    title=f"临期预警：{label}",
                    body=(
                        f"{department}：{label}已超过{rule.warn}个工作日未办结，"
                        f"请于{s.local_text(overdue_at)}前办结，逾期将计入超期记录。"
                    ),
                    link=link,
                    data={"task_id": row.id, "case_id": row.case_id, "level": "yellow"},
                )
        if new == 3:
            batch.facts.append((row.case_id, StatKind.OVERDUE, overdue_at, facts))
            batch.overdue.append(
                (row.id, row.case_id, row.department_id, row.assignee_id, rule.id, overdue_at)
            )
            report.overdue += 1
            if is_open:
                _drafts(
                    batch,
                    (*s.handlers(row), *s.leaders(row)),
                    kind=KIND_OVERDUE,
                    key=f"task-overdue:{row.id}",
                    title=f"超期告警：{label}",
                    body=(
                        f"{department}：{label}已于{s.local_text(overdue_at)}超过办理时限，已计入部门超期记录，"
                        "请立即办理。"
                    ),
                    link=link,
                    data={"task_id": row.id, "case_id": row.case_id, "level": "red"},
                )
    if not is_open:
        if row.alert:
            batch.finished.append(row.id)
        report.finished += 1
        return
    if open_since is not None:
        watch = now + PAUSE_RECHECK  # the clock is stopped: look again for the resumption
    else:
        candidates: list[dt.datetime] = []
        if new < 2:
            candidates.append(warn_at)
        if new < 3:
            candidates.append(overdue_at)
        if remind_at is not None:
            slot = s.last_slot(rule.times) if now >= remind_at else None
            if (
                slot is not None
                and slot[2] >= remind_at
                and (row.watch_at is None or slot[2] >= row.watch_at)
            ):
                slot_day, number, _ = slot
                recipients = (*s.handlers(row), *(s.leaders(row) if rule.remind_leader else ()))
                elapsed = s.calendar.working_days_between(day, slot_day).value
                label = _label(row)
                _drafts(
                    batch,
                    recipients,
                    kind=KIND_REMINDER,
                    key=f"task-remind:{row.id}:{slot_day.isoformat()}:{number}",
                    title=f"催办：{label}",
                    body=(
                        f"{s.department_names.get(row.department_id or 0, '')}：{label}"
                        f"已{max(elapsed, rule.remind_from or 0)}个工作日未办结，请尽快办理。"
                        f"（今日第{number + 1}次提醒，共{len(rule.times)}次）"
                    ),
                    link=s.task_link.format(row.id),
                    data={"task_id": row.id, "case_id": row.case_id, "slot": number},
                )
                reminders += 1
                report.reminders += 1
            following = s.next_slot(rule.times, remind_at)
            if following is not None:
                candidates.append(following)
        future = [c for c in candidates if c > now]
        # Nothing left to announce (red, no reminders): look once a working day, to stop once it is closed.
        watch = min(future) if future else s.next_morning
    batch.states.append((row.id, LEVEL_NAME[new], warn_at, overdue_at, watch, rule.id, reminders))


_STATE_COLUMNS = "task_id, alert, warn_at, overdue_at, watch_at, rule_id, reminders"
_UPSERT_TAIL = (
    "ON CONFLICT (task_id) DO UPDATE SET alert = EXCLUDED.alert, warn_at = EXCLUDED.warn_at, "
    "overdue_at = EXCLUDED.overdue_at, watch_at = EXCLUDED.watch_at, rule_id = EXCLUDED.rule_id, "
    "reminders = EXCLUDED.reminders"
)
_OVERDUE_COLUMNS = "task_id, case_id, department_id, person_id, rule_id, overdue_at, recorded_at"


def _write_postgresql(batch: _Batch, now: dt.datetime) -> None:
    """COPY the batch into this session's temporary tables (core.bulk), then one upsert and one insert from
    them."""
    ts = timestamp_text
    with connection.cursor() as cursor:
        if batch.states:
            copy_to_temp(
                "supervision_batch_state",
                "task_id bigint, alert varchar(8), warn_at timestamptz, overdue_at timestamptz, "
                "watch_at timestamptz, rule_id bigint, reminders integer",
                (
                    (task, alert, ts(warn_at), ts(overdue_at), ts(watch_at), rule, reminders)
                    for task, alert, warn_at, overdue_at, watch_at, rule, reminders in batch.states
                ),
            )
            cursor.execute(
                f"INSERT INTO {TaskWatch._meta.db_table} ({_STATE_COLUMNS}) "
                f"SELECT {_STATE_COLUMNS} FROM supervision_batch_state {_UPSERT_TAIL}"
            )
        if batch.overdue:
            copy_to_temp(
                "supervision_batch_overdue",
                "task_id bigint, case_id bigint, department_id bigint, person_id bigint, rule_id bigint, "
                "overdue_at timestamptz, recorded_at timestamptz",
                ((*record[:5], ts(record[5]), ts(now)) for record in batch.overdue),
            )
            cursor.execute(
                f"INSERT INTO {OverdueRecord._meta.db_table} ({_OVERDUE_COLUMNS}) SELECT {_OVERDUE_COLUMNS} "
                "FROM supervision_batch_overdue ON CONFLICT (task_id) DO NOTHING"
            )


def _write_portable(batch: _Batch, now: dt.datetime) -> None:
    adapt = connection.ops.adapt_datetimefield_value
    with connection.cursor() as cursor:
        if batch.states:
            cursor.executemany(
                f"INSERT INTO {TaskWatch._meta.db_table} ({_STATE_COLUMNS}) VALUES (%s, %s, %s, %s, %s, %s, %s) "
                + _UPSERT_TAIL,
                [(t, a, adapt(w), adapt(o), adapt(n), r, c) for t, a, w, o, n, r, c in batch.states],
            )
        if batch.overdue:
            cursor.executemany(
                f"INSERT INTO {OverdueRecord._meta.db_table} ({_OVERDUE_COLUMNS}) "
                "VALUES (%s, %s, %s, %s, %s, %s, %s) ON CONFLICT (task_id) DO NOTHING",
                [(*record[:5], adapt(record[5]), adapt(now)) for record in batch.overdue],
            )


def _write(batch: _Batch, report: SweepReport, now: dt.datetime) -> None:
    if connection.vendor == "postgresql":
        _write_postgresql(batch, now)
    else:
        _write_portable(batch, now)
    if batch.finished:
        TaskWatch.objects.filter(task_id__in=batch.finished).delete()
    if batch.seen:
        TaskRecord.objects.filter(pk__in=batch.seen).update(watched=True)
    if batch.facts:
        stats_record_many(rows=batch.facts)
    if batch.drafts:
        report.notifications += notify_send_many(drafts=batch.drafts, at=now)


def _take(qs: Any, columns: Sequence[str], batch: int) -> list[_Row]:
    if connection.features.has_select_for_update_skip_locked:
        qs = qs.select_for_update(skip_locked=True, of=("self",), no_key=True)
    return [_Row(*values) for values in fetch_values(qs[:batch], columns)]


def _process(s: _Sweep, rows: list[_Row], report: SweepReport, *, new: bool) -> None:
    s.resolve(rows)
    s.load_staff(rows)
    batch = _Batch()
    if new:
        batch.seen = [r.id for r in rows]
        # A task seen again (flow reopened it, e.g. 撤回) that already went red stays red: no second record.
        recorded = set(OverdueRecord.objects.filter(task_id__in=batch.seen).values_list("task_id", flat=True))
        for row in rows:
            if row.id in recorded:
                row.alert = AlertLevel.RED.value
    for row in rows:
        _evaluate(s, row, batch, report)
    _write(batch, report, s.now)
    if batch.overdue or batch.facts:
        audit_record(
            actor=None,
            action="supervision.sweep",
            object_type="task_batch",
            object_id=f"{rows[0].id}-{rows[-1].id}",
            data={
                "tasks": len(rows),
                "warned": sum(1 for f in batch.facts if f[1] == StatKind.WARNED),
                "overdue": len(batch.overdue),
                "notifications": len(batch.drafts),
            },
        )


def supervision_sweep(*, now: dt.datetime, batch: int = DEFAULT_BATCH, threads: int = 1) -> SweepReport:
    """Look at every task the sweep has not seen yet and every watched task whose point has come (see the
    module docstring). Batches of `batch` rows, each in its own transaction; safe to run in several
    processes at once.

    `threads` > 1 (PostgreSQL, called outside a transaction) works the batches in that many threads, each
    with its own connection, so one thread's Python work overlaps the others' time in the database. Rows
    are taken with SKIP LOCKED, so the threads share the work as separate processes would."""
    if now.tzinfo is None:
        raise ValueError("supervision_sweep needs an aware `now`")
    if threads < 1:
        raise ValueError("threads must be at least 1")
    s = _Sweep(now)
    if threads == 1 or connection.vendor != "postgresql" or connection.in_atomic_block:
        # Inside a caller's transaction (a test, a management shell) other connections would not see its
        # rows: one thread.
        return _sweep_pass(s, batch)
    with ThreadPoolExecutor(max_workers=threads, thread_name_prefix="supervision-sweep") as pool:
        reports = list(pool.map(lambda _: _sweep_in_thread(s, batch), range(threads)))
    return SweepReport.total(reports)


def _sweep_in_thread(s: _Sweep, batch: int) -> SweepReport:
    try:
        return _sweep_pass(s, batch)
    finally:
        connection.close()  # this thread's own connection


def _sweep_pass(s: _Sweep, batch: int) -> SweepReport:
    """Both loops of one sweep, as one worker. Several passes may run at once (threads or processes): each
    takes rows with SKIP LOCKED past its own keyset cursor, so every due row is taken by exactly one."""
    now = s.now
    report = SweepReport()
    last_id = 0
    while True:  # tasks never seen: the partial index flow_task_unwatched
        with transaction.atomic():
            qs = TaskRecord.objects.filter(watched=False, id__gt=last_id).order_by("id")
            rows = _take(qs, _TASK_COLUMNS, batch)
            if rows:
                last_id = rows[-1].id
                report.discovered += len(rows)
                _process(s, rows, report, new=True)
        if len(rows) < batch:
            break
    cursor: tuple[dt.datetime, int] | None = None
    while True:  # watched tasks whose point has come, in (watch_at, task) order
        with transaction.atomic():
            qs = TaskWatch.objects.filter(watch_at__lte=now)
            if cursor is not None:
                qs = qs.filter(watch_at__gte=cursor[0]).filter(
                    Q(watch_at__gt=cursor[0]) | Q(watch_at=cursor[0], task_id__gt=cursor[1])
                )
            rows = _take(qs.order_by("watch_at", "task_id"), _WATCH_COLUMNS, batch)
            if rows:
                cursor = (rows[-1].watch_at, rows[-1].id)  # type: ignore[assignment]
                report.checked += len(rows)
                _process(s, rows, report, new=False)
        if len(rows) < batch:
            break
    return report

"""Supervision reads: the warning board (open yellow/red tasks, keyset-paged on the partial index
`supervision_watch_alerting`), a case's alert (the worst of its open tasks), overdue counts per department and person
for a period with the 问责 marks, and the rules. Every list is filtered in SQL by the reader's scope
(onetrip/supervision/scope.py)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Q

from onetrip.core.errors import ErrorDetail, Forbidden
from onetrip.flow.models import OPEN_TASK_STATUSES, TaskRecord
from onetrip.intake.models import Case
from onetrip.orgs.models import Department, User
from onetrip.orgs.permissions import Scope
from onetrip.supervision.models import AlertLevel, AlertRule, OverdueRecord, TaskWatch
from onetrip.supervision.scope import Visibility, oversight, visibility
from onetrip.workdays.core import SHANGHAI, CalendarError
from onetrip.workdays.selectors import calendar_current

PAGE = 50
OPEN = [str(s) for s in OPEN_TASK_STATUSES]
ALERTING = [AlertLevel.YELLOW.value, AlertLevel.RED.value]
RANK = {"": 0, "green": 1, "yellow": 2, "red": 3}
DEFAULT_THRESHOLD = 3


def _forbidden() -> Forbidden:
    return Forbidden(
        ErrorDetail("forbidden", "无权查看效能监管信息", "You may not read supervision data", "user")
    )


def board_visibility(user: User) -> Visibility:
    found = visibility(user)
    if found is None:
        raise _forbidden()
    return found


def _alerting(vis: Visibility) -> Any:
    """Watch rows of open yellow/red tasks the reader may see (scope on the task's department and people)."""
    qs = TaskWatch.objects.filter(alert__in=ALERTING, task__status__in=OPEN)
    q = vis.tasks_q("task__")
    return qs if q is None else qs.filter(q)


@dataclass(frozen=True)
class BoardRow:
    watch: TaskWatch
    remaining: int | None  # working days to the overdue point; negative: overdue by
    label: str
    case_alert: str

    @property
    def task(self) -> TaskRecord:
        return self.watch.task


@dataclass
class BoardPage:
    rows: list[BoardRow]
    next_after: str  # "<overdue_at iso>~<task id>" of the last row, "" on the last page
    counts: dict[str, int] = field(default_factory=dict)


def parse_after(value: str | None) -> tuple[dt.datetime, int] | None:
    if not value or "~" not in value:
        return None
    at, _, last = value.rpartition("~")
    try:
        when = dt.datetime.fromisoformat(at)
        return (when, int(last)) if when.tzinfo is not None else None
    except ValueError:
        return None


def remaining(overdue_at: dt.datetime, now: dt.datetime) -> tuple[int | None, str]:
    """Working days left to the overdue point (0 on its day), or overdue by (negative)."""
    try:
        calendar = calendar_current()
        if overdue_at > now:
            left = calendar.remaining_working_days(now, overdue_at).value
            return left, "今日超期" if left == 0 else f"剩余{left}个工作日"
        late = calendar.working_days_between_instants(overdue_at, now).value
    except CalendarError:
        return None, "已超期" if overdue_at <= now else "未超期"
    return -late, f"已超期{late}个工作日" if late else "今日已超期"


def case_alerts(case_ids: list[int]) -> dict[int, str]:
    """The worst alert among each case's open watched tasks (by the case/task index, then the watch rows)."""
    worst: dict[int, str] = {}
    if not case_ids:
        return worst
    rows = TaskWatch.objects.filter(task__case_id__in=case_ids, task__status__in=OPEN).values_list(
        "task__case_id", "alert"
    )
    for case_id, alert in rows:
        if RANK.get(alert, 0) > RANK.get(worst.get(case_id, ""), 0):
            worst[case_id] = alert
    return worst


def board(
    *,
    user: User,
    now: dt.datetime,
    level: str = "",
    department_id: int | None = None,
    after: tuple[dt.datetime, int] | None = None,
    limit: int = PAGE,
) -> BoardPage:
    """Open yellow/red tasks the user may see, by overdue point (longest overdue first), then task id."""
    vis = board_visibility(user)
    qs = _alerting(vis)
    if level in ALERTING:
        qs = qs.filter(alert=level)
    if department_id is not None:
        qs = qs.filter(task__department_id=department_id)
    counts = {row["alert"]: row["n"] for row in qs.values("alert").annotate(n=Count("pk")).order_by()}
    if after is not None:
        qs = qs.filter(overdue_at__gte=after[0]).filter(
            Q(overdue_at__gt=after[0]) | Q(overdue_at=after[0], task_id__gt=after[1])
        )
    limit = max(1, min(limit, 200))
    watches = list(
        qs.select_related("task", "task__case", "task__department", "task__assignee").order_by(
            "overdue_at", "task_id"
        )[: limit + 1]
    )
    more = len(watches) > limit
    watches = watches[:limit]
    alerts = case_alerts(sorted({w.task.case_id for w in watches}))
    rows = []
    for w in watches:
        left, label = remaining(w.overdue_at, now)
        rows.append(BoardRow(w, left, label, alerts.get(w.task.case_id, w.alert)))
    next_after = f"{watches[-1].overdue_at.isoformat()}~{watches[-1].task_id}" if more and watches else ""
    return BoardPage(rows, next_after, counts)


def board_departments(user: User) -> list[Department]:
    """Departments to filter the board by: those seen whole, and the handler's own."""
    vis = board_visibility(user)
    qs = Department.objects.filter(is_active=True)
    if not vis.departments.everything:
        q = vis.departments.departments_q("pk")
        if vis.handler_departments:
            own = Q(pk__in=sorted(vis.handler_departments))
            q = own if q is None else q | own
        qs = qs.filter(q) if q is not None else qs.none()
    return list(qs.order_by("name"))


def case_alert(*, user: User, case: Case) -> dict[str, Any]:
    """A case's colour: the worst of its open tasks ("" while none is watched yet), with those tasks."""
    from onetrip.flow.selectors import can_see_case

    if not can_see_case(user, case) or case.applicant_id == user.pk:
        raise _forbidden()
    tasks = list(
        TaskRecord.objects.filter(case=case, status__in=OPEN)
        .select_related("department", "watch")
        .order_by("task_id")
    )
    alerts = [getattr(getattr(t, "watch", None), "alert", "") for t in tasks]
    worst = max(alerts, key=lambda a: RANK.get(a, 0), default="")
    return {"case_id": case.pk, "alert": worst, "tasks": list(zip(tasks, alerts, strict=True))}


# ------------------------------------------------------------------------------------------ accountability


def global_threshold() -> int:
    found = (
        AlertRule.objects.filter(item__isnull=True).values_list("accountability_threshold", flat=True).first()
    )
    return found or DEFAULT_THRESHOLD


def period_bounds(start: dt.date, end: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """[start 00:00, day after end 00:00) in Asia/Shanghai."""
    return (
        dt.datetime.combine(start, dt.time(0), SHANGHAI),
        dt.datetime.combine(end + dt.timedelta(days=1), dt.time(0), SHANGHAI),
    )


def default_period(now: dt.datetime) -> tuple[dt.date, dt.date]:
    """The current month up to today."""
    today = now.astimezone(SHANGHAI).date()
    return today.replace(day=1), today


@dataclass
class PersonCount:
    user_id: int
    name: str
    count: int


@dataclass
class DepartmentCount:
    department_id: int | None
    name: str
    count: int
    flagged: bool  # 问责
    people: list[PersonCount] = field(default_factory=list)
    unassigned: int = 0  # overdue while nobody had claimed the task


@dataclass
class Accountability:
    start: dt.date
    end: dt.date
    threshold: int
    departments: list[DepartmentCount]

    @property
    def flagged(self) -> list[DepartmentCount]:
        return [d for d in self.departments if d.flagged]


def _oversight(user: User) -> Scope:
    scope = oversight(user)
    if scope is None:
        raise _forbidden()
    return scope


def _in_period(scope: Scope, start: dt.date, end: dt.date) -> Any:
    a, b = period_bounds(start, end)
    qs = OverdueRecord.objects.filter(overdue_at__gte=a, overdue_at__lt=b)
    return scope.filter(qs, department_field="department")


def accountability(*, user: User, start: dt.date, end: dt.date) -> Accountability:
    """Overdue tasks per department and per person in [start, end], most first; departments at or above the
    global rule's threshold are marked for 问责."""
    scope = _oversight(user)
    qs = _in_period(scope, start, end)
    per_department = list(qs.values("department_id").annotate(n=Count("id")).order_by("-n", "department_id"))
    per_person = list(
        qs.values("department_id", "person_id").annotate(n=Count("id")).order_by("-n", "person_id")
    )
    names = dict(
        Department.objects.filter(
            pk__in=[r["department_id"] for r in per_department if r["department_id"]]
        ).values_list("pk", "name")
    )
    people_ids = sorted({r["person_id"] for r in per_person if r["person_id"]})
    people = {
        u.pk: str(u) for u in User.objects.filter(pk__in=people_ids).only("pk", "display_name", "username")
    }
    threshold = global_threshold()
    by_department: dict[int | None, list[PersonCount]] = defaultdict(list)
    unassigned: dict[int | None, int] = {}
    for r in per_person:
        if r["person_id"] is None:
            unassigned[r["department_id"]] = r["n"]
        else:
            by_department[r["department_id"]].append(
                PersonCount(r["person_id"], people.get(r["person_id"], ""), r["n"])
            )
    rows = [
        DepartmentCount(
            r["department_id"],
            names.get(r["department_id"], "（未指定部门）"),
            r["n"],
            r["n"] >= threshold,
            by_department.get(r["department_id"], []),
            unassigned.get(r["department_id"], 0),
        )
        for r in per_department
    ]
    return Accountability(start, end, threshold, rows)


def overdue_records(
    *,
    user: User,
    start: dt.date,
    end: dt.date,
    department_id: int | None = None,
    person_id: int | None = None,
    after: tuple[dt.datetime, int] | None = None,
    limit: int = PAGE,
) -> tuple[list[OverdueRecord], str]:
    """The overdue records behind the counts (drill-down), keyset-paged by (overdue point, id)."""
    qs = _in_period(_oversight(user), start, end)
    if department_id is not None:
        qs = qs.filter(department_id=department_id)
    if person_id is not None:
        qs = qs.filter(person_id=person_id)
    if after is not None:
        qs = qs.filter(overdue_at__gte=after[0]).filter(
            Q(overdue_at__gt=after[0]) | Q(overdue_at=after[0], id__gt=after[1])
        )
    limit = max(1, min(limit, 200))
    rows = list(
        qs.select_related("case", "task", "department", "person").order_by("overdue_at", "id")[: limit + 1]
    )
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, (f"{rows[-1].overdue_at.isoformat()}~{rows[-1].pk}" if more and rows else "")


# ------------------------------------------------------------------------------------------ rules


def rules_list() -> list[AlertRule]:
    """The global rule first, then item rules by item name (a few hundred rows at most)."""
    rules = list(AlertRule.objects.select_related("item", "item__department", "updated_by"))
    return sorted(rules, key=lambda r: (r.item_id is not None, r.item.name if r.item else "", r.pk))


def rule_get(rule_id: int) -> AlertRule | None:
    return AlertRule.objects.select_related("item", "item__department").filter(pk=rule_id).first()

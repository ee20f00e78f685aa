"""People are told: notifications folded from the domain events the producers write.

Notify is an observer. Intake and flow write their events in their own transactions (`CaseEvent`, the
case's timeline, and `FlowEvent`, the engine's trace) and never call notify; `notify_fold_events` reads
those tables in id order, keyset-batched, and turns each event into the messages of the people concerned:

* the applicant (and the agent of a 代办 application): submitted, accepted (with the receipt), 容缺 due
  soon / overdue / supplied / rejected, one-time notice, refusal, suspended / resumed / extended with the
  new date, result ready, delivered, received, completed, and the invitation to rate;
* staff: a new task in their inbox (the assignee, else the department's handlers, or its leaders for a
  leader's step), returned to them, transferred or delegated to them, a delegated task come back, a
  correction arrived. "Due soon" and "overdue" are the supervision sweep's (`task_warning`,
  `task_overdue`) and are not repeated here.

Exactly once: every message's dedup key is derived from the event row's id and the recipient
(`ce<id>:…:u<user>`, `fe<id>:…:u<user>`), and the outbox skips a key already used, so folding an event
again (a retry, a second worker, a re-scanned gap) sends nothing more. Completion and the invitation to
rate are once per case (`case-done:<case>`, `rate-invite:<case>`), whichever event reports them first.

Out-of-order commits: ids come from a sequence, so a transaction that took a lower id can commit after one
that took a higher one. The cursor (`FoldCursor`) remembers the ranges of ids it skipped below the highest
id it read, looks into them again on every fold, and gives a range up after NOTIFY_FOLD_GAP_S seconds (a
rolled-back insert leaves a hole for ever). A re-scan is harmless thanks to the dedup keys. Each batch is
one transaction that also moves the cursor; the cursor row is taken with SKIP LOCKED, so a second fold
running at the same moment leaves the table to the first one.

An event that is superseded by a richer one written in the same transaction (same case and instant) is
skipped: `flow_suspended` by `case_suspended`, `flow_completed` by `case_completed`, the workflow's
termination by `deficiency_overdue`, …, so one happening is one message even when two tables record it.

Texts are in people's words, name the case number and the item or bundle, link to the case (or task) page,
and are masked (`core.masking.mask_text`): a reason typed by a clerk never carries a full ID or mobile
number into the inbox, an SMS or an email.
"""

from __future__ import annotations

import bisect
import datetime as dt
import os
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Model, Q
from django.urls import reverse

from onetrip.core.masking import mask_text
from onetrip.flow.models import OPEN_TASK_STATUSES, FlowEvent, TaskRecord
from onetrip.intake.models import Case, CaseEvent, CaseStatus, Channel, Deficiency, Notice, Refusal
from onetrip.notify.models import FoldCursor
from onetrip.notify.services import NotificationDraft, notify_send_many
from onetrip.orgs.models import Role, RoleAssignment
from onetrip.workdays.core import SHANGHAI

DEFAULT_BATCH = 1000
# Ranges of skipped ids kept at most (the oldest go first); each is [low, high, first seen].
MAX_GAPS = 1000
# Ranges looked into per query (an OR of BETWEENs on the primary key).
_GAP_CHUNK = 100


def gap_seconds() -> float:
    """How long a skipped id is waited for (NOTIFY_FOLD_GAP_S, default 600 s): longer than any transaction
    that writes events runs, shorter than anyone waits for a message."""
    value = getattr(settings, "NOTIFY_FOLD_GAP_S", None) or os.environ.get("NOTIFY_FOLD_GAP_S") or 600
    return float(value)


@dataclass
class FoldReport:
    events: int = 0  # event rows read (new ones and late arrivals)
    notifications: int = 0  # new inbox messages
    batches: int = 0
    skipped: int = 0  # tables left alone because another fold held their cursor
    more: bool = False  # stopped at max_batches with events still waiting


# ------------------------------------------------------------------------------------------ text helpers


def _day(at: dt.datetime | dt.date | None) -> str:
    if at is None:
        return ""
    d = at.astimezone(SHANGHAI).date() if isinstance(at, dt.datetime) else at
    return f"{d.year}年{d.month}月{d.day}日"


def _moment(at: dt.datetime | None) -> str:
    if at is None:
        return ""
    local = at.astimezone(SHANGHAI)
    return f"{_day(local)} {local:%H:%M}"


def _instant(value: Any) -> dt.datetime | None:
    if isinstance(value, dt.datetime):
        return value
    if isinstance(value, str) and value:
        try:
            parsed = dt.datetime.fromisoformat(value)
        except ValueError:
            return None
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=SHANGHAI)
    return None


def _date(value: Any) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.astimezone(SHANGHAI).date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str) and value:
        try:
            return dt.date.fromisoformat(value[:10])
        except ValueError:
            return None
    return None


def _first(data: dict[str, Any], *keys: str) -> Any:
    for key in keys:
        value = data.get(key)
        if value not in (None, "", [], {}):
            return value
    return None


# ------------------------------------------------------------------------------------------ context


@dataclass(frozen=True)
class _Case:
    id: int
    number: str
    title: str
    applicant_id: int
    agent_id: int | None
    status: str
    promised_due_at: dt.datetime | None
    accept_due_at: dt.datetime | None
    provisional: bool

    @property
    def label(self) -> str:
        return f"办件{self.number}“{self.title}”" if self.number else f"申请“{self.title}”"

    @property
    def people(self) -> tuple[int, ...]:
        """The applicant, and the agent who filed a 代办 application for them."""
        return tuple(dict.fromkeys(p for p in (self.applicant_id, self.agent_id) if p is not None))


@dataclass(frozen=True)
class _Event:
    id: int
    case_id: int
    kind: str
    at: dt.datetime
    actor_id: int | None
    title: str
    data: dict[str, Any]
    task_id: int | None = None


@dataclass
class _Msg:
    recipients: Sequence[int]
    kind: str
    title: str
    body: str
    link: str
    key: str  # without the recipient; ":u<id>" is appended
    data: dict[str, Any] = field(default_factory=dict)


_LINKS: dict[str, str] = {}


def _link(name: str, value: int | str) -> str:
    """A page's path, reversed once per process (the placeholder is replaced per row)."""
    template = _LINKS.get(name)
    if template is None:
        template = _LINKS[name] = reverse(name, args=["987654321"]).replace("987654321", "{}")
    return template.format(value)


def _case_link(case_id: int) -> str:
    return _link("intake:case", case_id)


def _receipt_link(case_id: int) -> str:
    template = _LINKS.get("receipt")
    if template is None:
        template = _LINKS["receipt"] = reverse(
            "intake:case_document", kwargs={"pk": 987654321, "kind": "receipt"}
        ).replace("987654321", "{}")
    return template.format(case_id)


def _load_cases(case_ids: Iterable[int]) -> dict[int, _Case]:
    rows = Case.objects.filter(pk__in=sorted(set(case_ids))).values_list(
        "id",
        "number",
        "title",
        "applicant_id",
        "application__channel",
        "application__entered_by_id",
        "status",
        "promised_due_at",
        "accept_due_at",
        "due_provisional",
    )
    return {
        pk: _Case(
            id=pk,
            number=number or "",
            title=title,
            applicant_id=applicant,
            agent_id=entered_by if channel == Channel.PROXY and entered_by != applicant else None,
            status=status,
            promised_due_at=promised,
            accept_due_at=accept_due,
            provisional=provisional,
        )
        for pk, number, title, applicant, channel, entered_by, status, promised, accept_due, provisional in rows
    }


def _siblings(
    model: type[Model], events: Sequence[_Event], kinds: Iterable[str]
) -> dict[tuple[int, dt.datetime, str], dict[str, Any]]:
    """Events of `kinds` written in the same transaction as `events` (same case, same instant): their data by
    (case, instant, kind). Read through the (case, …) index of the table."""
    kinds = sorted(set(kinds))
    if not events or not kinds:
        return {}
    found: dict[tuple[int, dt.datetime, str], dict[str, Any]] = {}
    qs = model.objects.filter(  # type: ignore[attr-defined]
        case_id__in=sorted({e.case_id for e in events}), kind__in=kinds, at__in=sorted({e.at for e in events})
    ).values_list("case_id", "at", "kind", "data")
    for case_id, at, kind, data in qs:
        found.setdefault((case_id, at, kind), data or {})
    return found


class _Staff:
    """Department handlers and leaders (active accounts), read once per batch for the departments needed."""

    def __init__(self, department_ids: Iterable[int]) -> None:
        self.by_department: dict[int, tuple[list[int], list[int]]] = defaultdict(lambda: ([], []))
        ids = sorted({d for d in department_ids if d})
        if ids:
            for department_id, role, user_id in (
                RoleAssignment.objects.filter(
                    department_id__in=ids, role__in=(Role.HANDLER, Role.LEADER), user__is_active=True
                )
                .order_by("user_id")
                .values_list("department_id", "role", "user_id")
            ):
                self.by_department[department_id][0 if role == Role.HANDLER else 1].append(user_id)

    def for_task(self, department_id: int | None, role: str) -> list[int]:
        handlers, leaders = self.by_department.get(department_id or 0, ([], []))
        if role == Role.LEADER:
            return leaders
        return handlers or leaders


def _ref(ref: Any, prefix: str) -> int | None:
    if isinstance(ref, str) and ref[:1] == prefix and ref[1:].isdigit():
        return int(ref[1:])
    return None


# ------------------------------------------------------------------------------------------ case events

# kind → the kinds of the same transaction that tell the same happening better (then this one is silent).
_SUPERSEDED_BY: dict[str, tuple[str, ...]] = {
    "flow_suspended": ("case_suspended",),
    "flow_resumed": ("case_resumed",),
    "flow_completed": ("case_completed",),
    "flow_rejected": ("case_completed",),
    "flow_terminated": ("deficiency_overdue",),
    "terminated": ("deficiency_overdue",),
    # 办结 tells that the results are there (flow writes both at the moment every result exists).
    "result_ready": ("case_completed",),
    # The message of the clock's own event already gives the new date.
    "promised_date_changed": (
        "flow_extended",
        "flow_resubmitted",
        "flow_returned_to_applicant",
        "flow_special_procedure_started",
        "flow_suspended",
        "flow_resumed",
        "case_suspended",
        "case_resumed",
    ),
}
# Case events that tell nobody anything new: the applicant already has the message of the same moment
# (dispatch happens at acceptance; each result is announced by result_ready; the last supplement by
# deficiency_supplied), or they did it themselves (withdrawal).
_SILENT_CASE_KINDS = frozenset(
    {
        "flow_dispatched",
        "result_issued",
        "deficiencies_complete",
        "deficiency_submitted",  # the supplement awaits the clerk's check: its result is the news
        "flow_withdrawn_by_applicant",
        "flow_special_procedure_ended",
    }
)
# The workflow's own record of the same moment, for the reason or the deadline a case event does not carry.
_FLOW_DETAIL = {
    "flow_returned_to_applicant": "returned_to_applicant",
    "flow_suspended": "suspended",
    "case_suspended": "suspended",
    "flow_terminated": "terminated",
    "flow_extended": "extended",
    "flow_special_procedure_started": "special_procedure_started",
}
_ACCEPTED_KINDS = frozenset({"accepted", "accepted_deficient", "deemed_accepted", "case_accepted"})


@dataclass
class _CaseContext:
    cases: dict[int, _Case]
    superseding: set[tuple[int, dt.datetime, str]]
    flow_detail: dict[tuple[int, dt.datetime, str], dict[str, Any]]
    notices: dict[tuple[int, int], list[dict[str, Any]]]
    refusals: dict[int, tuple[str, str]]
    deficiencies: dict[int, list[tuple[int, str, str, dt.date, str]]]  # case → (id, key, name, due, status)
    rated: set[int]

    def superseded(self, e: _Event) -> bool:
        return any((e.case_id, e.at, k) in self.superseding for k in _SUPERSEDED_BY.get(e.kind, ()))

    def detail(self, e: _Event) -> dict[str, Any]:
        kind = _FLOW_DETAIL.get(e.kind)
        return self.flow_detail.get((e.case_id, e.at, kind), {}) if kind else {}

    def deficiency(self, e: _Event) -> tuple[str, dt.date | None]:
        """The material's name and commitment date an event concerns: from its data, else its row."""
        d = e.data
        name = _first(d, "material_name", "name")
        due = _date(_first(d, "due_date", "due"))
        rows = self.deficiencies.get(e.case_id, [])
        wanted_id = _first(d, "deficiency", "deficiency_id")
        wanted_key = _first(d, "material_key", "material")
        row = next(
            (
                r
                for r in rows
                if (wanted_id is not None and r[0] == wanted_id) or (wanted_key and r[1] == wanted_key)
            ),
            None,
        )
        if row is None and len(rows) == 1:
            row = rows[0]
        if row is not None:
            name, due = name or row[2], due or row[3]
        return str(name or "容缺材料"), due


def _case_context(events: Sequence[_Event]) -> _CaseContext:
    cases = _load_cases(e.case_id for e in events)
    superseding = set(
        _siblings(
            CaseEvent,
            [e for e in events if e.kind in _SUPERSEDED_BY],
            {k for v in _SUPERSEDED_BY.values() for k in v},
        )
    )
    flow_detail = _siblings(FlowEvent, [e for e in events if e.kind in _FLOW_DETAIL], _FLOW_DETAIL.values())
    noticed = [e for e in events if e.kind == "notice"]
    notices: dict[tuple[int, int], list[dict[str, Any]]] = {}
    if noticed:
        for case_id, submission, problems in Notice.objects.filter(
            case_id__in=sorted({e.case_id for e in noticed})
        ).values_list("case_id", "submission", "problems"):
            notices[case_id, submission] = list(problems or [])
    refused = sorted({e.case_id for e in events if e.kind == "refused"})
    refusals = {
        case_id: (reasons, basis)
        for case_id, reasons, basis in Refusal.objects.filter(case_id__in=refused).values_list(
            "case_id", "reasons", "legal_basis"
        )
    }
    wanting = sorted(
        {
            e.case_id
            for e in events
            if e.kind.startswith("deficiency")
            or e.kind in ("accepted_deficient", "flow_held", "flow_terminated", "terminated")
        }
    )
    deficiencies: dict[int, list[tuple[int, str, str, dt.date, str]]] = defaultdict(list)
    for pk, case_id, key, name, due, status in (
        Deficiency.objects.filter(case_id__in=wanting)
        .order_by("id")
        .values_list("id", "case_id", "material_key", "material_name", "due_date", "status")
    ):
        deficiencies[case_id].append((pk, key, name, due, status))
    rated: set[int] = set()
    finishing = sorted(
        {e.case_id for e in events if e.kind in ("flow_completed", "flow_rejected", "case_completed")}
    )
    if finishing:
        from onetrip.ratings.models import Rating, RatingKind

        rated = set(
            Rating.objects.filter(case_id__in=finishing, kind=RatingKind.INITIAL).values_list(
                "case_id", flat=True
            )
        )
    return _CaseContext(cases, superseding, flow_detail, notices, refusals, dict(deficiencies), rated)


def _promised(e: _Event, c: _Case) -> str:
    """The promised completion date the event reports (a suspension or extension moves it), else the case's."""
    at = _instant(_first(e.data, "promised_due_at", "promised_due", "new_promised_due_at", "due_at")) or (
        c.promised_due_at
    )
    if at is None:
        return ""
    return _day(at) + ("（暂定，待日历公布后确认）" if c.provisional else "")


def _accepted(e: _Event, c: _Case, ctx: _CaseContext) -> list[_Msg]:
    number = str(e.data.get("number") or c.number)
    label = f"办件{number}“{c.title}”" if number else c.label
    lead = "逾期未答复，依法视为受理" if e.kind == "deemed_accepted" else "已受理"
    if e.kind == "accepted_deficient":
        lead = "已容缺受理"
    promised = _promised(e, c)
    body = f"您的申请“{c.title}”{lead}，办件编号{number}。"
    body += f"承诺于{promised}前办结。" if promised else ""
    if e.kind == "accepted_deficient":
        pending = [r for r in ctx.deficiencies.get(c.id, []) if r[4] == "pending"]
        if pending:
            body += "请按承诺补交：" + "；".join(f"《{r[2]}》于{_day(r[3])}前" for r in pending) + "。"
        body += "材料补齐前，办理结果暂缓发放；逾期未补交的，本件终止办理。"
    body += "受理回执可在办件页面查看和下载。"
    receipt = _receipt_link(c.id)
    return [
        _Msg(
            c.people,
            "case_accepted",
            f"{lead}：{label}",
            body,
            _case_link(c.id),
            f"ce{e.id}:accepted",
            {"receipt_link": receipt},
        )
    ]


def _notice(e: _Event, c: _Case, ctx: _CaseContext) -> list[_Msg]:
    submission = int(e.data.get("submission") or 1)
    problems = ctx.notices.get((c.id, submission), [])
    lines = []
    for i, p in enumerate(problems, 1):
        what = p.get("material_name")
        lines.append(f"{i}. " + (f"《{what}》：" if what else "") + str(p.get("problem") or ""))
    count = len(problems) or int(e.data.get("problems") or 0)
    by = _date(_first(e.data, "correct_by", "due_date", "due"))
    ask = f"请于{_day(by)}前补正上述全部内容后重新提交" if by else "请补正上述全部内容后重新提交"
    body = (
        f"经审查，您的申请“{c.title}”需补正以下{count}项（一次性告知，不会再提出其他要求）：\n"
        + "\n".join(lines)
        + ("\n" if lines else "")
        + f"{ask}（网上、掌上或到综合窗口均可）；补正后材料齐全的，予以受理。"
    )
    return [
        _Msg(c.people, "case_correction", f"补正告知：{c.label}", body, _case_link(c.id), f"ce{e.id}:notice")
    ]


def _returned(e: _Event, c: _Case, ctx: _CaseContext) -> list[_Msg]:
    detail = ctx.detail(e)
    reason = str(detail.get("reason") or "").strip()
    items = [str(i) for i in detail.get("items") or () if i]
    body = f"审批部门要求补正您的{c.label}，办理时限暂停计算。"
    if reason:
        body += f"补正内容：{reason}。"
    if items:
        body += "涉及：" + "、".join(items) + "。"
    body += "请在办件页面补正后重新提交，提交后恢复办理。"
    return [
        _Msg(
            c.people, "case_correction", f"补正告知：{c.label}", body, _case_link(c.id), f"ce{e.id}:returned"
        )
    ]


def _refused(e: _Event, c: _Case, ctx: _CaseContext) -> list[_Msg]:
    reasons, basis = ctx.refusals.get(c.id, ("", ""))
    body = f"您的申请“{c.title}”不予受理。"
    if reasons:
        body += f"理由：{reasons}。"
    if basis:
        body += f"依据：{basis}。"
    body += "不予受理决定书可在办件页面查看；如有异议，可依法申请行政复议或者提起行政诉讼。"
    return [
        _Msg(c.people, "case_refused", f"不予受理：{c.label}", body, _case_link(c.id), f"ce{e.id}:refused")
    ]


def _submitted(e: _Event, c: _Case, ctx: _CaseContext) -> list[_Msg]:
    again = e.kind == "resubmitted"
    answer = _day(c.accept_due_at)
    body = (
        f"您的{'补正材料' if again else '申请'}“{c.title}”已于{_moment(e.at)}提交。"
        f"窗口将审核材料{f'，并于{answer}前答复' if answer else ''}：材料齐全的予以受理并出具受理回执；"
        "需要补正的，一次性告知全部内容；不符合条件的，出具不予受理决定。逾期未答复的，依法视为受理。"
    )
    title = f"{'补正材料已提交' if again else '申请已提交'}：{c.title}"
    return [_Msg(c.people, "case_submitted", title, body, _case_link(c.id), f"ce{e.id}:submitted")]


def _flow_resubmitted(e: _Event, c: _Case, ctx: _CaseContext) -> list[_Msg]:
    promised = _promised(e, c)
    body = f"您的{c.label}补正材料已提交，审批部门恢复办理。" + (
        f"承诺办结时间{promised}。" if promised else ""
    )
    return [
        _Msg(
            c.people,
            "case_submitted",
            f"补正材料已提交：{c.label}",
            body,
            _case_link(c.id),
            f"ce{e.id}:resubmitted",
        )
    ]


def _suspended(e: _Event, c: _Case, ctx: _CaseContext) -> list[_Msg]:
    reason = str(_first(e.data, "reason") or ctx.detail(e).get("reason") or "").strip()
    body = f"您的{c.label}中止办理" + (f"，原因：{reason}" if reason else "") + "。中止期间不计入办理时限；"
    body += "恢复办理后，承诺办结时间将顺延，届时另行通知。"
    return [
        _Msg(
            c.people, "case_suspended", f"中止办理：{c.label}", body, _case_link(c.id), f"ce{e.id}:suspended"
        )
    ]


def _resumed(e: _Event, c: _Case, ctx: _CaseContext) -> list[_Msg]:
    promised = _promised(e, c)
    body = f"您的{c.label}已恢复办理。" + (f"新的承诺办结时间：{promised}。" if promised else "")
    return [
        _Msg(c.people, "case_resumed", f"恢复办理：{c.label}", body, _case_link(c.id), f"ce{e.id}:resumed")
    ]


def _clock(e: _Event, c: _Case, ctx: _CaseContext) -> list[_Msg]:
    detail = ctx.detail(e)
    promised = _promised(e, c)
    if e.kind == "flow_extended":
        reason = str(detail.get("reason") or "").strip()
        body = f"您的{c.label}经批准延长办理时限" + (f"，理由：{reason}" if reason else "") + "。"
        body += f"新的承诺办结时间：{promised}。" if promised else ""
        title = f"延长办理时限：{c.label}"
    else:
        body = f"您的{c.label}进入特别程序（如听证、检验检测、专家评审、公示），期间不计入办理时限；特别程序结束后恢复办理。"
        title = f"进入特别程序：{c.label}"
    return [_Msg(c.people, "case_deadline", title, body, _case_link(c.id), f"ce{e.id}:clock")]


def _date_changed(e: _Event, c: _Case, ctx: _CaseContext) -> list[_Msg]:
    promised = _promised(e, c)
    body = f"您的{c.label}承诺办结时间调整为{promised}，受理回执已重新出具，可在办件页面查看和下载。"
    msg = _Msg(
        c.people, "case_deadline", f"办结时间调整：{c.label}", body, _case_link(c.id), f"ce{e.id}:date"
    )
    msg.data["receipt_link"] = _receipt_link(c.id)
    return [msg]


def _deficiency(e: _Event, c: _Case, ctx: _CaseContext) -> list[_Msg]:
    name, due = ctx.deficiency(e)
    link = _case_link(c.id)
    if e.kind == "deficiency_due_soon":
        body = (
            f"您的{c.label}容缺受理时承诺补交的《{name}》"
            + (f"须于{_day(due)}前补交" if due else "即将到期")
            + "。请在办件页面上传，或到综合窗口补交；逾期未补交的，本件终止办理。"
        )
        return [_Msg(c.people, "deficiency_due", f"容缺材料补交提醒：{c.label}", body, link, f"ce{e.id}:due")]
    if e.kind == "deficiency_supplied":
        body = f"您为{c.label}补交的《{name}》已核验通过。"
        pending = [r for r in ctx.deficiencies.get(c.id, []) if r[4] == "pending"]
        if pending:
            body += "尚待补交：" + "、".join(f"《{r[2]}》" for r in pending) + "。"
        else:
            body += "容缺材料已全部补齐，办理结果将按时发放。"
        return [
            _Msg(
                c.people,
                "deficiency_supplied",
                f"容缺材料已补交：{c.label}",
                body,
                link,
                f"ce{e.id}:supplied",
            )
        ]
    if e.kind == "deficiency_rejected":
        reason = str(_first(e.data, "reason", "opinion") or "").strip()
        body = f"您为{c.label}补交的《{name}》未通过核验" + (f"，原因：{reason}" if reason else "") + "。"
        body += f"请于{_day(due)}前重新补交。" if due else "请重新补交。"
        return [
            _Msg(
                c.people,
                "deficiency_rejected",
                f"补交材料未通过：{c.label}",
                body,
                link,
                f"ce{e.id}:rejected",
            )
        ]
    # deficiency_overdue (and intake's termination of an overdue commitment)
    names = "、".join(f"《{n}》" for n in _overdue_names(e, c, ctx)) or f"《{name}》"
    body = f"您的{c.label}容缺受理时承诺补交的{names}已超过承诺日期未补交，依照承诺，本件终止办理。如需办理，请重新申请。"
    return [
        _Msg(
            c.people,
            "deficiency_overdue",
            f"容缺材料逾期，办件终止：{c.label}",
            body,
            link,
            # Once per case: the termination and the overdue notice after it are one happening.
            f"deficiency-overdue:{c.id}",
        )
    ]


def _overdue_names(e: _Event, c: _Case, ctx: _CaseContext) -> list[str]:
    rows = ctx.deficiencies.get(c.id, [])
    keys = e.data.get("materials") or ([e.data["material_key"]] if e.data.get("material_key") else [])
    if keys:
        return [r[2] for r in rows if r[1] in keys]
    if e.kind == "deficiency_overdue":
        return []
    return [r[2] for r in rows if r[4] == "overdue"]


def _held(e: _Event, c: _Case, ctx: _CaseContext) -> list[_Msg]:
    pending = [r for r in ctx.deficiencies.get(c.id, []) if r[4] == "pending"]
    body = f"您的{c.label}审批已完成。"
    if pending:
        body += (
            "请补交容缺材料："
            + "；".join(f"《{r[2]}》于{_day(r[3])}前" for r in pending)
            + "，补齐后发放办理结果。"
        )
    else:
        body += "办理结果待补齐材料后发放。"
    return [
        _Msg(
            c.people,
            "deficiency_due",
            f"审批已完成，待补交材料：{c.label}",
            body,
            _case_link(c.id),
            f"ce{e.id}:held",
        )
    ]


def _terminated(e: _Event, c: _Case, ctx: _CaseContext) -> list[_Msg]:
    detail = ctx.detail(e)
    if e.data.get("materials") or detail.get("reason") == "deficiency_overdue":
        return _deficiency(e, c, ctx)
    reason = str(detail.get("reason") or "").strip()
    body = f"您的{c.label}已终止办理" + (f"，原因：{reason}" if reason else "") + "。详情请查看办件页面。"
    return [
        _Msg(
            c.people,
            "case_terminated",
            f"终止办理：{c.label}",
            body,
            _case_link(c.id),
            f"ce{e.id}:terminated",
        )
    ]


def _result_ready(e: _Event, c: _Case, ctx: _CaseContext) -> list[_Msg]:
    what = str(e.data.get("title") or "").strip()
    body = f"您的{c.label}办理结果{f'（{what}）' if what else ''}已出具，可在办件页面查看和下载；纸质结果按您选择的方式送达。"
    return [
        _Msg(
            c.people, "result_ready", f"办理结果已出具：{c.label}", body, _case_link(c.id), f"ce{e.id}:result"
        )
    ]


def _delivery(e: _Event, c: _Case, ctx: _CaseContext) -> list[_Msg]:
    if e.kind == "delivery_received":
        body = f"您的{c.label}办理结果已签收（{_moment(e.at)}）。"
        return [
            _Msg(
                c.people,
                "delivery_received",
                f"已签收：{c.label}",
                body,
                _case_link(c.id),
                f"ce{e.id}:received",
            )
        ]
    # The delivery's notice (pickup window, carrier and tracking number, or electronic) is the event's title.
    body = e.title or f"您的{c.label}办理结果已送达。"
    return [
        _Msg(
            c.people,
            "result_delivered",
            f"办理结果送达：{c.label}",
            body,
            _case_link(c.id),
            f"ce{e.id}:delivery",
        )
    ]


def _completed(e: _Event, c: _Case, ctx: _CaseContext) -> list[_Msg]:
    if e.kind != "case_completed" and c.status != CaseStatus.COMPLETED:
        return []  # the approval has ended but a result is still missing: case_completed will tell
    denied = e.kind == "flow_rejected" or e.data.get("outcome") == "rejected"
    if denied:
        body = f"您的{c.label}已办结：不予许可。不予许可决定书（含理由和依据）可在办件页面查看和下载。"
    else:
        body = f"您的{c.label}已办结，办理结果已出具，可在办件页面查看和下载，并按您选择的送达方式领取。"
    messages = [
        _Msg(c.people, "case_completed", f"已办结：{c.label}", body, _case_link(c.id), f"case-done:{c.id}")
    ]
    if c.number and c.id not in ctx.rated:
        messages.append(
            _Msg(
                (c.applicant_id,),  # only the applicant may rate (ratings.case_rate)
                "rating_invite",
                f"请为本次办事评价：{c.label}",
                f"您的{c.label}已办结，请对本次服务作出评价（非常满意、满意、基本满意、不满意、非常不满意），"
                "您的评价将用于改进政务服务。",
                _link("ratings:rate_case", c.number),
                f"rate-invite:{c.id}",
            )
        )
    return messages


_CaseFolder = Callable[[_Event, _Case, _CaseContext], list[_Msg]]
_CASE_FOLDERS: dict[str, _CaseFolder] = {
    "submitted": _submitted,
    "resubmitted": _submitted,
    **{k: _accepted for k in _ACCEPTED_KINDS},
    "notice": _notice,
    "refused": _refused,
    "flow_returned_to_applicant": _returned,
    "flow_resubmitted": _flow_resubmitted,
    "flow_suspended": _suspended,
    "case_suspended": _suspended,
    "flow_resumed": _resumed,
    "case_resumed": _resumed,
    "flow_extended": _clock,
    "promised_date_changed": _date_changed,
    "flow_special_procedure_started": _clock,
    "deficiency_due_soon": _deficiency,
    "deficiency_overdue": _deficiency,
    "deficiency_supplied": _deficiency,
    "deficiency_rejected": _deficiency,
    "flow_held": _held,
    "terminated": _terminated,
    "flow_terminated": _terminated,
    "result_ready": _result_ready,
    "delivery_created": _delivery,
    "delivery_received": _delivery,
    "flow_completed": _completed,
    "flow_rejected": _completed,
    "case_completed": _completed,
}
CASE_EVENT_KINDS = frozenset(_CASE_FOLDERS)


def _case_drafts(events: Sequence[_Event]) -> list[NotificationDraft]:
    if not events:
        return []
    ctx = _case_context(events)
    messages: list[tuple[_Event, _Msg]] = []
    for e in events:
        case = ctx.cases.get(e.case_id)
        if case is None or ctx.superseded(e):
            continue
        messages += [(e, m) for m in _CASE_FOLDERS[e.kind](e, case, ctx)]
    return _drafts(messages, event_source="intake.caseevent")


# ------------------------------------------------------------------------------------------ flow events

FLOW_EVENT_KINDS = frozenset(
    {"task_created", "task_transferred", "task_delegated", "delegation_returned", "resubmitted"}
)


def _flow_drafts(events: Sequence[_Event]) -> list[NotificationDraft]:
    if not events:
        return []
    cases = _load_cases(e.case_id for e in events)
    tasks: dict[tuple[int, int], TaskRecord] = {}
    keyed = {(e.case_id, e.task_id) for e in events if e.task_id is not None}
    if keyed:
        by_case: dict[int, list[int]] = defaultdict(list)
        for case_id, task_id in keyed:
            by_case[case_id].append(task_id)
        condition = Q()
        for case_id, task_ids in by_case.items():
            condition |= Q(case_id=case_id, task_id__in=task_ids)
        for t in TaskRecord.objects.filter(condition).only(
            "id",
            "case_id",
            "task_id",
            "step_name",
            "department_id",
            "assignee_id",
            "candidate_role",
            "status",
            "due_at",
        ):
            tasks[t.case_id, t.task_id] = t
    returns = _siblings(FlowEvent, [e for e in events if e.kind == "task_created"], ["returned_to_step"])
    departments = [t.department_id for t in tasks.values() if t.department_id]
    departments += [_ref(e.data.get("to"), "d") for e in events if e.kind == "task_transferred"]
    staff = _Staff(d for d in departments if d)
    messages: list[tuple[_Event, _Msg]] = []
    for e in events:
        case = cases.get(e.case_id)
        task = tasks.get((e.case_id, e.task_id)) if e.task_id is not None else None
        if case is None or task is None or task.status not in OPEN_TASK_STATUSES:
            continue  # a task already closed (e.g. the window's own acceptance step) is no one's news
        step = task.step_name or "办理"
        where = f"{case.label}的“{step}”环节"
        due = f"办理期限{_moment(task.due_at)}。" if task.due_at else ""
        link = _link("flow:task", task.pk)
        handlers = (
            [task.assignee_id]
            if task.assignee_id
            else staff.for_task(task.department_id, task.candidate_role)
        )
        data = {"case_id": case.id, "task_id": task.pk}
        if e.kind == "task_created":
            back = returns.get((e.case_id, e.at, "returned_to_step"))
            if back is not None:
                reason = str(back.get("reason") or "").strip()
                body = f"{where}被退回重办" + (f"，理由：{reason}" if reason else "") + f"。{due}"
                msg = _Msg(
                    handlers, "task_returned", f"退回重办：{where}", body, link, f"fe{e.id}:returned", data
                )
            else:
                body = f"您有一件新的待办：{where}。{due}请在待办中办理。"
                msg = _Msg(handlers, "task_assigned", f"新的待办：{where}", body, link, f"fe{e.id}:new", data)
        elif e.kind == "task_transferred":
            user = _ref(e.data.get("user"), "u")
            to = [user] if user else staff.for_task(_ref(e.data.get("to"), "d"), task.candidate_role)
            reason = str(e.data.get("reason") or "").strip()
            body = f"{where}已转办给您" + (f"，理由：{reason}" if reason else "") + f"。{due}"
            msg = _Msg(
                to, "task_transferred", f"转办待办：{where}", body, link, f"fe{e.id}:transferred", data
            )
        elif e.kind == "task_delegated":
            to_user = _ref(e.data.get("to"), "u")
            note = str(e.data.get("note") or "").strip()
            body = (
                f"{where}已委派给您办理"
                + (f"，说明：{note}" if note else "")
                + f"；办理意见将交回委派人。{due}"
            )
            msg = _Msg(
                [to_user] if to_user else [],
                "task_delegated",
                f"委派待办：{where}",
                body,
                link,
                f"fe{e.id}:delegated",
                data,
            )
        elif e.kind == "delegation_returned":
            to_user = _ref(e.data.get("to"), "u")
            verdict = "同意" if e.data.get("approved") else "不同意"
            opinion = str(e.data.get("opinion") or "").strip()
            body = (
                f"您委派的{where}已办回，意见：{verdict}"
                + (f"（{opinion}）" if opinion else "")
                + "。请确认后继续办理。"
            )
            msg = _Msg(
                [to_user] if to_user else [],
                "task_delegation_returned",
                f"委派已办回：{where}",
                body,
                link,
                f"fe{e.id}:delegation",
                data,
            )
        else:  # resubmitted: the applicant's correction has arrived at the task that asked for it
            body = f"申请人已按要求补正{case.label}，“{step}”环节恢复办理。{due}"
            msg = _Msg(
                handlers,
                "task_resubmitted",
                f"补正已提交：{where}",
                body,
                link,
                f"fe{e.id}:resubmitted",
                data,
            )
        # The person who acted knows already (their own approval made the next task theirs, too).
        msg.recipients = [r for r in msg.recipients if r and r != e.actor_id]
        messages.append((e, msg))
    return _drafts(messages, event_source="flow.flowevent")


# ------------------------------------------------------------------------------------------ drafts


def _drafts(messages: Sequence[tuple[_Event, _Msg]], *, event_source: str) -> list[NotificationDraft]:
    drafts = []
    for e, m in messages:
        title, body = mask_text(m.title)[:255], mask_text(m.body)
        data = {"case_id": e.case_id, "event": f"{event_source}:{e.id}", **m.data}
        for user_id in dict.fromkeys(m.recipients):
            drafts.append(
                NotificationDraft(
                    recipient_id=user_id,
                    kind=m.kind,
                    title=title,
                    dedup_key=f"{m.key}:u{user_id}",
                    body=body,
                    link=m.link,
                    data=data,
                )
            )
    return drafts


# ------------------------------------------------------------------------------------------ the fold


@dataclass(frozen=True)
class _Source:
    name: str
    model: type[Model]
    kinds: frozenset[str]
    columns: tuple[str, ...]
    build: Callable[[Sequence[_Event]], list[NotificationDraft]]

    def read(self, condition: Q, limit: int | None = None) -> tuple[list[int], list[_Event]]:
        """(every id matching, in order; the events among them that concern someone). Two reads: the ids and
        kinds of the whole range (for the gaps), then the full rows of the few kinds that are news."""
        qs = self.model.objects.filter(condition).order_by("id").values_list("id", "kind")  # type: ignore[attr-defined]
        rows = list(qs[:limit] if limit else qs)
        wanted = [pk for pk, kind in rows if kind in self.kinds]
        events: list[_Event] = []
        if wanted:
            for row in (
                self.model.objects.filter(pk__in=wanted).order_by("id").values_list(*self.columns)  # type: ignore[attr-defined]
            ):
                values = dict(zip(self.columns, row, strict=True))
                events.append(
                    _Event(
                        id=values["id"],
                        case_id=values["case_id"],
                        kind=values["kind"],
                        at=values["at"],
                        actor_id=values["actor_id"],
                        title=values.get("title") or "",
                        data=values["data"] or {},
                        task_id=values.get("task_id"),
                    )
                )
        return [pk for pk, _ in rows], events


SOURCES: tuple[_Source, ...] = (
    _Source(
        "intake.caseevent",
        CaseEvent,
        CASE_EVENT_KINDS,
        ("id", "case_id", "kind", "at", "actor_id", "title", "data"),
        _case_drafts,
    ),
    _Source(
        "flow.flowevent",
        FlowEvent,
        FLOW_EVENT_KINDS,
        ("id", "case_id", "kind", "at", "actor_id", "task_id", "data"),
        _flow_drafts,
    ),
)


def _lock_cursor(name: str) -> FoldCursor | None:
    """The table's cursor, locked for this transaction; None while another fold holds it."""
    FoldCursor.objects.get_or_create(source=name)  # its own statement: the row exists before it is locked
    return FoldCursor.objects.select_for_update(skip_locked=True).filter(source=name).first()


def _without(gaps: list[list[Any]], found: Sequence[int]) -> list[list[Any]]:
    """The gap ranges less the ids that have arrived (a range split around each)."""
    if not found:
        return gaps
    found = sorted(found)
    result = []
    for low, high, seen in gaps:
        start = low
        for i in found[bisect.bisect_left(found, low) : bisect.bisect_right(found, high)]:
            if i > start:
                result.append([start, i - 1, seen])
            start = i + 1
        if start <= high:
            result.append([start, high, seen])
    return result


def _late(source: _Source, gaps: list[list[Any]]) -> tuple[list[int], list[_Event]]:
    ids: list[int] = []
    events: list[_Event] = []
    for start in range(0, len(gaps), _GAP_CHUNK):
        condition = Q()
        for low, high, _ in gaps[start : start + _GAP_CHUNK]:
            condition |= Q(id__gte=low, id__lte=high)
        more_ids, more_events = source.read(condition)
        ids += more_ids
        events += more_events
    return ids, events


def _fold_batch(source: _Source, *, now: dt.datetime, batch: int, report: FoldReport) -> bool:
    """One transaction: late arrivals in the gaps, then the next `batch` ids. True when more may follow."""
    with transaction.atomic():
        cursor = _lock_cursor(source.name)
        if cursor is None:
            report.skipped += 1
            return False
        gaps: list[list[Any]] = [list(g) for g in cursor.gaps or []]
        late_ids, late_events = _late(source, gaps) if gaps else ([], [])
        new_ids, new_events = source.read(Q(id__gt=cursor.scanned_id), batch)
        gaps = _without(gaps, late_ids)
        oldest = now - dt.timedelta(seconds=gap_seconds())
        gaps = [g for g in gaps if (_instant(g[2]) or now) > oldest]
        expected, seen = cursor.scanned_id + 1, now.isoformat()
        for pk in new_ids:
            if pk > expected:
                gaps.append([expected, pk - 1, seen])
            expected = pk + 1
        gaps = gaps[-MAX_GAPS:]
        events = sorted([*late_events, *new_events], key=lambda e: e.id)
        report.notifications += notify_send_many(drafts=source.build(events), at=now)
        report.events += len(late_ids) + len(new_ids)
        report.batches += 1
        if new_ids:
            cursor.scanned_id = new_ids[-1]
        cursor.gaps = gaps
        cursor.folded_id = (min(g[0] for g in gaps) - 1) if gaps else cursor.scanned_id
        cursor.updated_at = now
        cursor.save(update_fields=["scanned_id", "gaps", "folded_id", "updated_at"])
    return len(new_ids) >= batch


def notify_fold_events(
    *, now: dt.datetime, batch: int = DEFAULT_BATCH, max_batches: int | None = None
) -> FoldReport:
    """Fold every new case and flow event into notifications (see the module docstring); returns the counts.
    Safe to run at any time, twice, or in two processes at once."""
    report = FoldReport()
    for source in SOURCES:
        done = 0
        while _fold_batch(source, now=now, batch=batch, report=report):
            done += 1
            if max_batches is not None and done >= max_batches:
                report.more = True
                break
    return report

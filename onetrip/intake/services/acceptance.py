"""Acceptance at the window (一窗受理): accept, accept with deficiency (容缺), one-time notice, refusal, and the
two sweeps (deemed acceptance, overdue deficiencies).

Every service locks the Case row (SELECT … FOR UPDATE) inside one transaction and compares the caller's
`row_version` with the locked row's: a clerk acting on a stale page gets 409 `case_changed` instead of
overwriting someone else's decision. Each state change writes a CaseEvent (the applicant's timeline) and an
audit event in the same transaction.

Decisions where the issue is silent:

- **Who may act.** A user with the clerk role who covers the case's lead department (orgs.permissions
  `clerk_covers`, the one rule): a comprehensive-window clerk accepts for every department stationed in the
  hall (进驻部门, of any level), a department-window clerk for that department. A window passed in must be
  active, one the clerk may work at, and (per window category) serve the department.
- **Complete means complete.** `case_accept` refuses while a material is missing: a key material with
  `key_material_missing`, a non-key one with `material_missing` (use 容缺受理 for a 容缺-able one, else a
  one-time notice). `case_accept_with_deficiency` needs a commitment for every missing material, and only a
  non-key 容缺-able material can have one (`key_material_no_commitment`, `material_not_deficiency_allowed`).
- **Commitment dates** must be after today and at most `DEFICIENCY_MAX_DAYS` (30) natural days ahead. A
  commitment is overdue from the day after its date; the sweep then ends the case (status terminated):
  the catalogue has no per-item rule yet, and the commitment the applicant signs says so.
- **Deadlines** count from the day after acceptance (次日起算) on the working-day calendar: an item's promised
  limit (else its statutory limit; an immediate item is due the same day) and its statutory limit; a bundle's
  combined limit is the critical path over the members taking part (mandatory + chosen), from the version's
  stored snapshot, rounded up to whole working days, and its statutory limit the same path over the members'
  statutory limits (unknown when a member has none). `due_provisional` is set when a year without a loaded
  arrangement was involved.
- **Deemed acceptance** (行政许可法第三十二条: 逾期不告知的，自收到申请材料之日起即为受理): the case counts as
  accepted at its submission instant, so its number's year and its deadlines run from the submission, not
  from the day the sweep noticed. No clerk; the audit actor is the system.
- **Trips (跑动次数)** measure physical visits. A window action done with the applicant present
  (`applicant_present=True`) is a visit and counts one trip, unless a visit was already counted for this case
  on the same day: a window submission counts its own visit (at submission), so accepting it on the spot
  adds nothing, while an online application accepted with the applicant at the window adds one.
- **The workflow** (flow.services) is started in the acceptance transaction (`case_dispatch`, also for a
  deemed acceptance, with no actor), so an accepted case is never left undispatched; it may move the case
  on to in_progress. From then on the workflow owns the held result and the commitment dates: a supplement
  checked by a clerk (services.deficiency) is passed on to it (`case_deficiency_supplied`) and its own
  sweep ends a case whose date passed.
  `deficiencies_sweep` ends only cases the workflow does not hold.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q

from onetrip.bundles.critical_path import combined_limit
from onetrip.bundles.selectors import computed, snapshot_members
from onetrip.catalog.models import HandlingKind
from onetrip.core import clock
from onetrip.core.audit import audit_record
from onetrip.core.errors import Conflict, DomainError, ErrorDetail, Forbidden
from onetrip.flow.services import case_dispatch
from onetrip.intake.checklist import checklist_for
from onetrip.intake.models import (
    Case,
    CaseEvent,
    CaseStatus,
    Deficiency,
    DeficiencyStatus,
    Notice,
    Refusal,
)
from onetrip.intake.services.notice import (
    NOTICE_ACTION,
    notice_basis,
    notice_known_problems,
    notice_problems,
    notice_scope,
    notice_unknowable_errors,
)
from onetrip.intake.services.numbers import case_number_next
from onetrip.orgs.models import Role, User, Window
from onetrip.orgs.permissions import (
    Scope,
    clerk_covers,
    clerk_may_use_window,
    has_role,
    require_clerk_covers,
    scope_for,
)
from onetrip.stats.services import stats_record
from onetrip.workdays.core import SHANGHAI, Calendar, InstantResult, Unit
from onetrip.workdays.selectors import calendar_current

DEFICIENCY_MAX_DAYS = 30
SWEEP_BATCH = 100
LEGAL_BASIS_DEEMED = "《中华人民共和国行政许可法》第三十二条"
# Statuses in which an accepted case is still alive (the deficiency sweep ends these).
LIVE_AFTER_ACCEPTANCE = (
    CaseStatus.ACCEPTED,
    CaseStatus.ACCEPTED_DEFICIENT,
    CaseStatus.IN_PROGRESS,
    CaseStatus.COMPLETED,
)
ACCEPTED_STATUSES = frozenset(LIVE_AFTER_ACCEPTANCE)
MAX_TEXT = 2000


# ------------------------------------------------------------------------------------------ helpers


def _local_date(at: dt.datetime) -> dt.date:
    return at.astimezone(SHANGHAI).date()


def _lock(case: Case) -> Case:
    """The case row, locked for this transaction; 409 when it changed since the caller read it."""
    locked = Case.objects.select_for_update().get(pk=case.pk)
    if locked.row_version != case.row_version:
        raise Conflict(
            ErrorDetail(
                "case_changed",
                "办件已被他人处理或已更新，请刷新后重试",
                "The case has changed since it was loaded; reload and try again",
            )
        )
    return locked


def _save(case: Case, fields: Iterable[str]) -> None:
    case.row_version += 1
    case.save(update_fields=[*fields, "row_version"])


def _event(case: Case, *, at: dt.datetime, kind: str, title: str, actor: User | None, **data: Any) -> None:
    CaseEvent.objects.create(case=case, at=at, kind=kind, title=title, actor=actor, data=data)


def clerk_scope(clerk: User | None) -> Scope:
    """The clerk-role scope of a user; 403 `clerk_required` when they are not a clerk."""
    if clerk is None or not getattr(clerk, "is_authenticated", False) or not has_role(clerk, Role.CLERK):
        raise Forbidden(
            ErrorDetail("clerk_required", "需要综合窗口人员权限", "Only a window clerk may do this")
        )
    return scope_for(clerk, Role.CLERK)


def clerk_may_handle(clerk: User, case: Case) -> bool:
    """Whether a clerk may act on (and read) this case: the hall rule of orgs.permissions.clerk_covers."""
    return clerk_covers(clerk, case.lead_department_id)


def require_clerk_for_window(clerk: User | None, window: Window) -> None:
    """403 unless `clerk` is a clerk who may work at the window (orgs.permissions); 400 for an inactive one."""
    clerk_scope(clerk)
    if not window.is_active:
        raise DomainError(
            ErrorDetail("window_inactive", "该窗口已停用", "The window is not active", "window")
        )
    if not clerk_may_use_window(clerk, window):
        raise Forbidden(
            ErrorDetail(
                "window_not_entitled", "无权在该窗口办理", "You may not work at this window", "window"
            )
        )


def _require_clerk(clerk: User | None, case: Case, window: Window | None) -> None:
    """Every window decision: the clerk, then the window, must serve the case's lead department (进驻部门)."""
    clerk_scope(clerk)
    require_clerk_covers(clerk, case.lead_department)
    if window is not None:
        require_clerk_for_window(clerk, window)
        require_clerk_covers(clerk, case.lead_department, window=window)


def _not_submitted(case: Case) -> Conflict:
    if case.status in ACCEPTED_STATUSES or case.number:
        return Conflict(
            ErrorDetail(
                "already_accepted", "该办件已受理，不能重复受理", "The case has already been accepted"
            )
        )
    return Conflict(
        ErrorDetail(
            "case_not_submitted",
            f"办件当前状态为“{case.get_status_display()}”，不能办理此操作",
            f"The case is {case.status}; this action needs a submitted case",
        )
    )


def _count_visit(case: Case, *, now: dt.datetime, window: Window | None, applicant_present: bool) -> bool:
    """Count one trip for a window action with the applicant present, unless today's visit already counted."""
    if window is None or not applicant_present:
        return False
    today = _local_date(now)
    if case.channel == "window" and _local_date(case.submitted_at) == today:
        return False  # the window submission counted this visit
    day_start = dt.datetime.combine(today, dt.time(0), SHANGHAI)
    if CaseEvent.objects.filter(case=case, at__gte=day_start, data__trip=1).exists():
        return False
    case.trips += 1
    return True


# ---------------------------------------------------------------------------------- material facts


@dataclass(frozen=True)
class MissingMaterial:
    key: str
    name: str
    key_material: bool
    deficiency_allowed: bool


def missing_materials(case: Case) -> list[MissingMaterial]:
    """The checklist entries of the case's application still missing, with their catalogue facts."""
    return [
        MissingMaterial(e.key, e.name, e.requirement.is_key, e.requirement.deficiency_allowed)
        for e in checklist_for(application=case.application)
        if e.missing
    ]


def _missing_key_error(names: Sequence[str]) -> ErrorDetail:
    return ErrorDetail(
        "key_material_missing",
        "缺少关键材料，不能受理：" + "、".join(names),
        "Key materials are missing: " + ", ".join(names),
        "materials",
    )


# ----------------------------------------------------------------------------------------- deadlines


@dataclass(frozen=True)
class Deadlines:
    promised: dt.datetime | None
    statutory: dt.datetime | None
    provisional: bool


def _whole_days(days: Decimal) -> int:
    return int(math.ceil(days))


def _add(calendar: Calendar, at: dt.datetime, limit: int | None, unit: str) -> InstantResult | None:
    if limit is None:
        return None
    return calendar.add(at, limit, Unit(unit))


def case_deadlines(case: Case, *, accepted_at: dt.datetime) -> Deadlines:
    """Promised and statutory completion instants for an acceptance at `accepted_at` (次日起算)."""
    calendar = calendar_current()
    if case.item_version_id is not None:
        v = case.item_version
        promised_limit, promised_unit = v.promised_limit, v.promised_limit_unit
        if promised_limit is None and v.statutory_limit is not None:
            promised_limit, promised_unit = v.statutory_limit, v.statutory_limit_unit
        if promised_limit is None and v.handling_kind == HandlingKind.IMMEDIATE:
            promised_limit, promised_unit = 0, Unit.WORKING
        promised = _add(calendar, accepted_at, promised_limit, promised_unit)
        statutory = _add(calendar, accepted_at, v.statutory_limit, v.statutory_limit_unit)
    else:
        snapshot = computed(case.bundle_version)
        members = snapshot_members(snapshot)
        edges = [(a, b) for a, b in snapshot.get("edges", ())]
        chosen = list(case.application.chosen_members or ())
        limit = combined_limit(members, edges, chosen=chosen)
        promised = calendar.add(accepted_at, _whole_days(limit.critical_days), Unit.WORKING)
        # The statutory path: the same graph with every member's promised limit taken away.
        legal = combined_limit([replace(m, promised_limit=None) for m in members], edges, chosen=chosen)
        statutory = (
            None
            if legal.unknown
            else calendar.add(accepted_at, _whole_days(legal.critical_days), Unit.WORKING)
        )
    results = [r for r in (promised, statutory) if r is not None]
    return Deadlines(
        promised=promised.at if promised else None,
        statutory=statutory.at if statutory else None,
        provisional=any(r.provisional for r in results),
    )


# ---------------------------------------------------------------------------------------- acceptance


def _dispatch(case: Case, *, actor: User | None, now: dt.datetime) -> None:
    """Route the accepted case to its departments (按责转办) in the acceptance transaction: an accepted case
    is never left undispatched. The workflow may move the case on (status, row_version): refreshed here."""
    case_dispatch(case=case, actor=actor, now=now)
    case.refresh_from_db()


def _do_accept(
    case: Case,
    *,
    clerk: User | None,
    window: Window | None,
    at: dt.datetime,
    now: dt.datetime,
    status: str,
    deemed: bool = False,
    trip: bool = False,
) -> None:
    deadlines = case_deadlines(case, accepted_at=at)
    case.number = case_number_next(region=case.region, year=_local_date(at).year)
    case.status = status
    case.accepted_at = at
    case.accepted_by = clerk
    case.deemed_accepted = deemed
    if window is not None:
        case.window = window
    case.promised_due_at = deadlines.promised
    case.statutory_due_at = deadlines.statutory
    case.due_provisional = deadlines.provisional
    case.result_held = status == CaseStatus.ACCEPTED_DEFICIENT
    _save(
        case,
        [
            "number",
            "status",
            "accepted_at",
            "accepted_by",
            "deemed_accepted",
            "window",
            "promised_due_at",
            "statutory_due_at",
            "due_provisional",
            "result_held",
            "trips",
        ],
    )
    if deemed:
        title = "逾期未答复，依法视为受理"
    elif status == CaseStatus.ACCEPTED_DEFICIENT:
        title = "已容缺受理"
    else:
        title = "已受理"
    data: dict[str, Any] = {"number": case.number, "promised_due_at": _iso(deadlines.promised)}
    if trip:
        data["trip"] = 1
    if window is not None:
        data["window"] = str(window)
    _event(case, at=now, kind="deemed_accepted" if deemed else status, title=title, actor=clerk, **data)
    stats_record(
        case_id=case.pk,
        kind="accepted",
        at=at,
        data={"deficient": status == CaseStatus.ACCEPTED_DEFICIENT, "deemed": deemed},
    )


def _iso(at: dt.datetime | None) -> str | None:
    return at.isoformat() if at else None


def _audit(case: Case, *, actor: User | None, action: str, **data: Any) -> None:
    audit_record(actor=actor, action=action, object_type="intake.case", object_id=case.pk, data=data)


def case_accept(
    *,
    case: Case,
    clerk: User,
    window: Window | None = None,
    now: dt.datetime | None = None,
    applicant_present: bool = False,
) -> Case:
    """Accept a complete submitted case: number, accepted_at, promised and statutory due dates."""
    now = now or clock.now()
    with transaction.atomic():
        locked = _lock(case)
        _require_clerk(clerk, locked, window)
        if locked.status != CaseStatus.SUBMITTED:
            raise _not_submitted(locked)
        missing = missing_materials(locked)
        errors = []
        keys = [m.name for m in missing if m.key_material]
        if keys:
            errors.append(_missing_key_error(keys))
        others = [m for m in missing if not m.key_material]
        if others:
            errors.append(
                ErrorDetail(
                    "material_missing",
                    "材料不齐，不能直接受理："
                    + "、".join(m.name for m in others)
                    + "（可容缺的材料请选择容缺受理，其余请出具一次性告知书）",
                    "Materials are missing: "
                    + ", ".join(m.key for m in others)
                    + " (accept with deficiency, or issue a one-time notice)",
                    "materials",
                )
            )
        if errors:
            raise DomainError(*errors)
        trip = _count_visit(locked, now=now, window=window, applicant_present=applicant_present)
        _do_accept(locked, clerk=clerk, window=window, at=now, now=now, status=CaseStatus.ACCEPTED, trip=trip)
        _audit(locked, actor=clerk, action="case.accept", number=locked.number, trips=locked.trips)
        _dispatch(locked, actor=clerk, now=now)
    return locked


def _parse_due(value: object) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return None
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            return None
    return None


def _cn_date(d: dt.date) -> str:
    return f"{d.year}年{d.month}月{d.day}日"


def commitment_text(*, applicant_name: str, material_name: str, due_date: dt.date) -> str:
    """The commitment the applicant signs for one missing material (容缺受理承诺书 wording)."""
    return (
        f"本人（本单位）{applicant_name}承诺：于{_cn_date(due_date)}前补交《{material_name}》，"
        "并对所补交材料的真实性负责。已知悉：材料补齐前，审批结果暂缓发放；"
        "逾期未补交的，本件终止办理。"
    )


def case_accept_with_deficiency(
    *,
    case: Case,
    clerk: User,
    commitments: Sequence[Mapping[str, Any]],
    window: Window | None = None,
    now: dt.datetime | None = None,
    applicant_present: bool = False,
) -> Case:
    """容缺受理: accept while non-key 容缺-able materials are missing, each against a signed commitment
    `{"material_key", "due_date"}`; the result is held until every one is supplied."""
    now = now or clock.now()
    today = _local_date(now)
    latest = today + dt.timedelta(days=DEFICIENCY_MAX_DAYS)
    with transaction.atomic():
        locked = _lock(case)
        _require_clerk(clerk, locked, window)
        if locked.status != CaseStatus.SUBMITTED:
            raise _not_submitted(locked)
        checklist = checklist_for(application=locked.application)
        names = {e.key: e.name for e in checklist}
        missing = {
            e.key: MissingMaterial(e.key, e.name, e.requirement.is_key, e.requirement.deficiency_allowed)
            for e in checklist
            if e.missing
        }
        errors: list[ErrorDetail] = []
        if not commitments:
            errors.append(
                ErrorDetail(
                    "commitments_required",
                    "容缺受理须至少有一项补交承诺",
                    "Accepting with deficiency needs at least one commitment",
                    "commitments",
                )
            )
        planned: dict[str, tuple[MissingMaterial, dt.date]] = {}
        for i, entry in enumerate(commitments):
            key = str(entry.get("material_key") or "")
            due = _parse_due(entry.get("due_date"))
            name = names.get(key, key)
            if key not in names:
                errors.append(
                    ErrorDetail(
                        "unknown_material",
                        "本申请没有该材料",
                        "No such material in this application",
                        "material_key",
                        i,
                    )
                )
                continue
            if key in planned:
                errors.append(
                    ErrorDetail(
                        "duplicate_commitment",
                        f"《{name}》重复承诺",
                        f"Duplicate commitment for {key}",
                        "material_key",
                        i,
                    )
                )
                continue
            material = missing.get(key)
            if material is None:
                errors.append(
                    ErrorDetail(
                        "material_not_missing",
                        f"《{name}》已提交，无需承诺",
                        f"Material {key} is not missing",
                        "material_key",
                        i,
                    )
                )
                continue
            if material.key_material:
                errors.append(
                    ErrorDetail(
                        "key_material_no_commitment",
                        f"《{name}》是关键材料，不能容缺受理",
                        f"Material {key} is a key material; it cannot be accepted on commitment",
                        "material_key",
                        i,
                    )
                )
                continue
            if not material.deficiency_allowed:
                errors.append(
                    ErrorDetail(
                        "material_not_deficiency_allowed",
                        f"《{name}》不在可容缺材料之列",
                        f"Material {key} may not be accepted on commitment",
                        "material_key",
                        i,
                    )
                )
                continue
            if due is None:
                errors.append(
                    ErrorDetail(
                        "invalid_date", "补交日期格式不正确", "Invalid supplement date", "due_date", i
                    )
                )
                continue
            if due <= today:
                errors.append(
                    ErrorDetail(
                        "due_date_not_future",
                        "补交日期须晚于今天",
                        "The supplement date must be after today",
                        "due_date",
                        i,
                    )
                )
                continue
            if due > latest:
                errors.append(
                    ErrorDetail(
                        "due_date_too_late",
                        f"补交日期不得晚于受理之日起{DEFICIENCY_MAX_DAYS}日（{_cn_date(latest)}）",
                        f"The supplement date may be at most {DEFICIENCY_MAX_DAYS} days ahead",
                        "due_date",
                        i,
                    )
                )
                continue
            planned[key] = (material, due)
        # A material whose commitment was refused above is reported once, by that refusal.
        attempted = {str(entry.get("material_key") or "") for entry in commitments}
        uncovered = [m for k, m in missing.items() if k not in planned and k not in attempted]
        key_uncovered = [m.name for m in uncovered if m.key_material]
        if key_uncovered:
            errors.append(_missing_key_error(key_uncovered))
        rest = [m for m in uncovered if not m.key_material]
        if rest:
            errors.append(
                ErrorDetail(
                    "material_missing_no_commitment",
                    "以下缺少的材料没有补交承诺：" + "、".join(m.name for m in rest),
                    "Missing materials without a commitment: " + ", ".join(m.key for m in rest),
                    "commitments",
                )
            )
        if errors:
            raise DomainError(*errors)
        trip = _count_visit(locked, now=now, window=window, applicant_present=applicant_present)
        _do_accept(
            locked,
            clerk=clerk,
            window=window,
            at=now,
            now=now,
            status=CaseStatus.ACCEPTED_DEFICIENT,
            trip=trip,
        )
        Deficiency.objects.bulk_create(
            [
                Deficiency(
                    case=locked,
                    material_key=key,
                    material_name=material.name,
                    due_date=due,
                    commitment_text=commitment_text(
                        applicant_name=locked.applicant_name, material_name=material.name, due_date=due
                    ),
                    signed_at=now,
                )
                for key, (material, due) in planned.items()
            ]
        )
        _audit(
            locked,
            actor=clerk,
            action="case.accept_with_deficiency",
            number=locked.number,
            deficiencies={k: d.isoformat() for k, (_, d) in planned.items()},
            trips=locked.trips,
        )
        _dispatch(locked, actor=clerk, now=now)
    return locked


def deficiencies_sweep(*, now: dt.datetime | None = None) -> int:
    """Mark commitments past their date overdue and end their cases (status terminated). Returns cases ended.

    A dispatched case is left alone: its workflow was given the commitment dates at dispatch and ends the
    case itself (flow.services.flow_sweep marks the Deficiency rows overdue), so the two never disagree.
    This sweep ends the cases the workflow does not hold."""
    now = now or clock.now()
    today = _local_date(now)
    ended = 0
    after = 0
    while True:
        case_ids = list(
            Deficiency.objects.filter(
                status=DeficiencyStatus.PENDING,
                due_date__lt=today,
                case_id__gt=after,
                case__flow__isnull=True,
            )
            .order_by("case_id")
            .values_list("case_id", flat=True)
            .distinct()[:SWEEP_BATCH]
        )
        if not case_ids:
            return ended
        after = case_ids[-1]
        with transaction.atomic():
            rows = Case.objects.filter(pk__in=case_ids, flow__isnull=True).select_for_update(
                skip_locked=True, of=("self",)
            )
            for case in rows.order_by("pk"):
                overdue = list(
                    Deficiency.objects.filter(case=case, status=DeficiencyStatus.PENDING, due_date__lt=today)
                )
                if not overdue:
                    continue
                Deficiency.objects.filter(pk__in=[d.pk for d in overdue]).update(
                    status=DeficiencyStatus.OVERDUE
                )
                names = "、".join(f"《{d.material_name}》" for d in overdue)
                if case.status in LIVE_AFTER_ACCEPTANCE:
                    case.status = CaseStatus.TERMINATED
                    _save(case, ["status"])
                    ended += 1
                    _event(
                        case,
                        at=now,
                        kind="terminated",
                        title=f"{names}逾期未补交，办件终止",
                        actor=None,
                        materials=[d.material_key for d in overdue],
                    )
                _audit(
                    case,
                    actor=None,
                    action="case.deficiency_overdue",
                    materials=[d.material_key for d in overdue],
                    terminated=case.status == CaseStatus.TERMINATED,
                )


def cases_deem_accepted(*, now: dt.datetime | None = None) -> int:
    """Accept every submitted case whose answer period has passed (行政许可法第三十二条). Returns how many.

    Batches of SWEEP_BATCH rows are locked with SKIP LOCKED, so several workers can sweep at once and a case a
    clerk is handling right now is left to the clerk (and picked up by a later sweep if still unanswered)."""
    now = now or clock.now()
    done = 0
    last: tuple[dt.datetime, int] | None = None
    while True:
        qs = Case.objects.filter(status=CaseStatus.SUBMITTED, accept_due_at__lte=now)
        if last is not None:
            qs = qs.filter(Q(accept_due_at__gt=last[0]) | Q(accept_due_at=last[0], pk__gt=last[1]))
        batch = list(qs.order_by("accept_due_at", "pk").values_list("accept_due_at", "pk")[:SWEEP_BATCH])
        if not batch:
            return done
        last = batch[-1]
        with transaction.atomic():
            rows = (
                Case.objects.filter(pk__in=[pk for _, pk in batch], status=CaseStatus.SUBMITTED)
                .select_for_update(skip_locked=True)
                .order_by("pk")
            )
            for case in rows:
                _do_accept(
                    case,
                    clerk=None,
                    window=None,
                    at=case.submitted_at,
                    now=now,
                    status=CaseStatus.ACCEPTED,
                    deemed=True,
                )
                _audit(
                    case,
                    actor=None,
                    action="case.deemed_accept",
                    number=case.number,
                    legal_basis=LEGAL_BASIS_DEEMED,
                )
                _dispatch(case, actor=None, now=now)
                done += 1


# ---------------------------------------------------------------------------------- notice, refusal


def case_notice(
    *,
    case: Case,
    clerk: User,
    problems: Sequence[Mapping[str, Any]],
    window: Window | None = None,
    now: dt.datetime | None = None,
    applicant_present: bool = False,
) -> Notice:
    """一次性告知: every problem with this submission at once; one notice per submission; status correction.

    The notice always lists every problem the system knows (services.notice: missing materials, empty or
    invalid fields), whatever `problems` holds; the clerk's `problems` reword those and add others. A later
    notice may add only problems that could not be known at the previous one. No problem at all: refused."""
    now = now or clock.now()
    with transaction.atomic():
        locked = _lock(case)
        _require_clerk(clerk, locked, window)
        if Notice.objects.filter(case=locked, submission=locked.submission).exists():
            raise Conflict(
                ErrorDetail(
                    "notice_already_issued",
                    "本次提交已出具一次性告知书，不能再次告知",
                    "A one-time notice was already issued for this submission",
                )
            )
        if locked.status != CaseStatus.SUBMITTED:
            raise _not_submitted(locked)
        application = locked.application
        materials, fields = notice_scope(application=application)
        clean, additions, errors = notice_problems(
            known=notice_known_problems(application=application),
            given=problems,
            materials=materials,
            fields=fields,
        )
        if not errors:
            errors = notice_unknowable_errors(case=locked, additions=additions)
        if errors:
            raise DomainError(*errors)
        try:
            with transaction.atomic():
                notice = Notice.objects.create(
                    case=locked, submission=locked.submission, problems=clean, issued_at=now, issued_by=clerk
                )
        except IntegrityError:
            raise Conflict(
                ErrorDetail(
                    "notice_already_issued",
                    "本次提交已出具一次性告知书，不能再次告知",
                    "A one-time notice was already issued for this submission",
                )
            ) from None
        trip = _count_visit(locked, now=now, window=window, applicant_present=applicant_present)
        locked.status = CaseStatus.CORRECTION
        _save(locked, ["status", "trips"])
        data: dict[str, Any] = {"submission": locked.submission, "problems": len(clean)}
        if trip:
            data["trip"] = 1
        _event(locked, at=now, kind="notice", title=f"一次性告知：需补正{len(clean)}项", actor=clerk, **data)
        _audit(
            locked,
            actor=clerk,
            action=NOTICE_ACTION,
            submission=locked.submission,
            problems=len(clean),
            **notice_basis(application=application),
        )
    return notice


def case_refuse(
    *,
    case: Case,
    clerk: User,
    reasons: str,
    legal_basis: str,
    window: Window | None = None,
    now: dt.datetime | None = None,
    applicant_present: bool = False,
) -> Refusal:
    """不予受理: a submitted (or awaiting-correction) case is refused with its reasons and legal basis."""
    now = now or clock.now()
    reasons = (reasons or "").strip()
    legal_basis = (legal_basis or "").strip()
    with transaction.atomic():
        locked = _lock(case)
        _require_clerk(clerk, locked, window)
        if locked.status not in (CaseStatus.SUBMITTED, CaseStatus.CORRECTION):
            raise _not_submitted(locked)
        errors = []
        for value, name, zh in (
            (reasons, "reasons", "不予受理理由"),
            (legal_basis, "legal_basis", "法律依据"),
        ):
            if not value:
                errors.append(ErrorDetail("required", f"请填写{zh}", f"{name} is required", name))
            elif len(value) > MAX_TEXT:
                errors.append(ErrorDetail("too_long", f"{zh}不超过{MAX_TEXT}字", f"{name} too long", name))
        if errors:
            raise DomainError(*errors)
        refusal = Refusal.objects.create(
            case=locked, reasons=reasons, legal_basis=legal_basis, issued_at=now, issued_by=clerk
        )
        trip = _count_visit(locked, now=now, window=window, applicant_present=applicant_present)
        locked.status = CaseStatus.REFUSED
        _save(locked, ["status", "trips"])
        data: dict[str, Any] = {}
        if trip:
            data["trip"] = 1
        _event(locked, at=now, kind="refused", title="不予受理", actor=clerk, **data)
        stats_record(case_id=locked.pk, kind="refused", at=now)
        _audit(locked, actor=clerk, action="case.refuse")
    return refusal

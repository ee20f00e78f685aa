"""容缺 closes the loop: supplying a committed material, the clerk's check, reminders and the end.

After 容缺受理 each missing material is a `Deficiency` with the applicant's signed commitment and a date. The
applicant (online, on a phone), their agent, or a window clerk supplies it — an upload (checked by content
and size, services.files) or an e-licence of the register that the applicant holds and whose type the
material names — and the row waits for the check (`checking`). A clerk entitled to the case checks it:
accepted, the material joins the application and the workflow is told
(flow.services.case_deficiency_supplied), which releases the held result once nothing else is outstanding; rejected, the row is pending again with the
reason, and the applicant may supply again before the date.

Reminders and the end (`deficiencies_remind`, `deficiencies_overdue_notice`, run by intake's sweep): once per
commitment, `ONETRIP_DEFICIENCY_REMIND_WORKING_DAYS` (default 2) working days before its date, a
`deficiency_due_soon` CaseEvent; when the date passed, the case ends as the receipt and the commitment say
(本件终止办理): the workflow's sweep ends a dispatched case, acceptance.deficiencies_sweep one outside the
workflow; either way the row is `overdue`, and this sweep writes one `deficiency_overdue` CaseEvent per case
with its 终止办理告知书 (documents_deficiency.termination_pdf). The supply and the check write
`deficiency_submitted`, `deficiency_supplied` (accepted) and `deficiency_rejected`. Notifications are made
from these CaseEvents by notify; nothing here calls it.

Decisions where the issue is silent:

- **The date counts the supply, not the check.** A material supplied on its date is in time; supplying
  after it is refused (`deficiency_past_due`). A clerk should check the same day: the workflow ends the case
  when the date passes while a supply still awaits its check (its clock knows no "received").
- **Twice.** An identical retry (same file content, or same licence) returns the row unchanged; a different
  supply while one awaits its check, or after it was accepted, is refused (409).
- **No reminder on the day the commitment is signed** (the applicant has just been told the date).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.db import transaction

from onetrip.core import clock
from onetrip.core.audit import audit_record
from onetrip.core.errors import Conflict, DomainError, ErrorDetail, Forbidden
from onetrip.flow.models import ProcessInstanceRecord
from onetrip.flow.services import case_deficiency_supplied
from onetrip.intake.models import (
    ApplicationMaterial,
    Case,
    CaseEvent,
    CaseStatus,
    Deficiency,
    DeficiencyStatus,
    MaterialState,
    StoredFile,
)
from onetrip.intake.selectors_deficiency import (
    LIVE_STATUSES,
    holder_of,
    is_applicant_side,
    material_licence_type,
    may_supply,
)
from onetrip.intake.services.acceptance import clerk_may_handle
from onetrip.intake.services.files import clean_file_name, file_store
from onetrip.orgs.models import Role, User
from onetrip.orgs.permissions import has_role
from onetrip.sharing.models import Licence, LicenceStatus
from onetrip.workdays.core import SHANGHAI, CalendarError
from onetrip.workdays.selectors import calendar_current

DEFAULT_REMIND_WORKING_DAYS = 2
MAX_REASON = 2000
SWEEP_BATCH = 200
OPEN_STATUSES = (DeficiencyStatus.PENDING, DeficiencyStatus.CHECKING)


def remind_working_days() -> int:
    return int(getattr(settings, "ONETRIP_DEFICIENCY_REMIND_WORKING_DAYS", DEFAULT_REMIND_WORKING_DAYS))


def _local_date(at: dt.datetime) -> dt.date:
    return at.astimezone(SHANGHAI).date()


def _cn_date(d: dt.date) -> str:
    return f"{d.year}年{d.month}月{d.day}日"


def _err(code: str, zh: str, en: str, field: str) -> ErrorDetail:
    return ErrorDetail(code, zh, en, field)


# ------------------------------------------------------------------------------------------ who may act


def _forbidden_supply() -> Forbidden:
    return Forbidden(
        _err(
            "deficiency_not_yours",
            "只能为本人（或受托代办）的办件补交材料",
            "You may supply materials only for your own case (or one you act for)",
            "deficiency",
        )
    )


# ------------------------------------------------------------------------------------------ e-licences


def _licence_checked(case: Case, deficiency: Deficiency, licence: Licence | int, today: dt.date) -> Licence:
    licence_id = licence if isinstance(licence, int) else licence.pk
    found = (
        Licence.objects.select_related("licence_type", "issuer")
        .filter(pk=licence_id, holder=holder_of(case))
        .first()
    )
    if found is None:  # someone else's licence is as good as none
        raise DomainError(
            _err("licence_not_found", "没有找到您名下的这份电子证照", "No such licence of yours", "licence")
        )
    wanted = material_licence_type(case, deficiency.material_key)
    if not wanted or found.licence_type.satisfies != wanted:
        raise DomainError(
            _err(
                "licence_wrong_type",
                f"该电子证照不能作为《{deficiency.material_name}》",
                "This licence is not of the type the material needs",
                "licence",
            )
        )
    valid = found.status == LicenceStatus.VALID and found.valid_from <= today
    if not valid or (found.valid_to is not None and found.valid_to < today):
        raise DomainError(
            _err("licence_not_valid", "该电子证照已失效或尚未生效", "The licence is not valid", "licence")
        )
    return found


# --------------------------------------------------------------------------------------------- supply


def _open_checks(row: Deficiency, case: Case, today: dt.date) -> None:
    """409 unless the commitment can still be met: the case is alive and its date has not passed."""
    if row.status == DeficiencyStatus.OVERDUE or case.status not in LIVE_STATUSES:
        raise Conflict(
            _err(
                "deficiency_closed",
                "办件已终止或已结束，不能再补交",
                "The case has ended; nothing can be supplied any more",
                "deficiency",
            )
        )
    if today > row.due_date:
        raise Conflict(
            _err(
                "deficiency_past_due",
                f"已超过承诺补交日期（{_cn_date(row.due_date)}），不能再补交",
                "The commitment date has passed",
                "due_date",
            )
        )


def _same_supply(row: Deficiency, *, file: StoredFile | None, licence_id: int | None) -> bool:
    if file is not None:
        return row.file_id == file.pk
    return licence_id is not None and row.licence_id == licence_id


def _refuse_twice(row: Deficiency) -> Conflict:
    if row.status == DeficiencyStatus.CHECKING:
        return Conflict(
            _err(
                "deficiency_awaiting_check",
                f"《{row.material_name}》已补交，正在等待窗口核验，不能重复补交",
                "This material was supplied and awaits its check",
                "deficiency",
            )
        )
    return Conflict(
        _err(
            "deficiency_already_supplied",
            f"《{row.material_name}》已补交并核验通过，无需再交",
            "This material was already supplied and accepted",
            "deficiency",
        )
    )


def deficiency_supply(
    *,
    deficiency: Deficiency,
    actor: User,
    file: StoredFile | Any | None = None,
    file_name: str = "",
    licence: Licence | int | None = None,
    now: dt.datetime | None = None,
) -> Deficiency:
    """Supply one committed material: `file` (an upload: bytes, a Django UploadedFile or a StoredFile) or
    `licence` (an e-licence of the applicant's, or its id). The row then awaits the clerk's check."""
    now = now or clock.now()
    today = _local_date(now)
    case = Case.objects.select_related("application", "applicant", "region").get(pk=deficiency.case_id)
    if not may_supply(actor, case):
        raise _forbidden_supply()
    if (file is None) == (licence is None):
        raise DomainError(
            _err(
                "supply_source_required",
                "请上传文件，或从电子证照中选择一份（二选一）",
                "Upload a file or choose one e-licence (one of the two)",
                "file",
            )
        )
    current = Deficiency.objects.get(pk=deficiency.pk)
    if current.status not in (DeficiencyStatus.CHECKING, DeficiencyStatus.SUPPLIED):
        _open_checks(current, case, today)  # (a retry of a supply made in time is answered below)
    chosen: Licence | None = None
    stored: StoredFile | None = None
    if licence is not None:
        chosen = _licence_checked(case, current, licence, today)
    elif isinstance(file, StoredFile):
        stored = file
    else:
        # Content-sniffed and size-limited; an identical file is the same StoredFile (a retry stays one).
        stored = file_store(data=file, declared_name=file_name or getattr(file, "name", "") or "")
    with transaction.atomic():
        case = Case.objects.select_for_update().select_related("application").get(pk=deficiency.case_id)
        row = Deficiency.objects.select_for_update().get(pk=deficiency.pk)
        if row.status in (DeficiencyStatus.CHECKING, DeficiencyStatus.SUPPLIED):
            if _same_supply(row, file=stored, licence_id=chosen.pk if chosen else None):
                return row  # an identical retry: nothing changes
            raise _refuse_twice(row)
        _open_checks(row, case, today)
        row.status = DeficiencyStatus.CHECKING
        row.supplied_at = now
        row.supplied_by = actor
        row.file = stored
        row.file_name = clean_file_name(file_name, stored.content_type) if stored else ""
        row.licence = chosen
        row.rejection_reason = ""
        row.save(
            update_fields=[
                "status",
                "supplied_at",
                "supplied_by",
                "file",
                "file_name",
                "licence",
                "rejection_reason",
            ]
        )
        how = f"电子证照（{chosen.licence_type.name}）" if chosen else "上传文件"
        by_clerk = not is_applicant_side(actor, case)
        CaseEvent.objects.create(
            case=case,
            at=now,
            kind="deficiency_submitted",
            title=f"{'窗口收取' if by_clerk else '已补交'}《{row.material_name}》（{how}），待窗口核验",
            actor=actor,
            data={"deficiency": row.pk, "material_key": row.material_key, "by_clerk": by_clerk},
        )
        audit_record(
            actor=actor,
            action="case.deficiency_supply",
            object_type="intake.case",
            object_id=case.pk,
            data={
                "deficiency": row.pk,
                "material_key": row.material_key,
                "file": stored.sha256[:12] if stored else None,
                "licence": chosen.pk if chosen else None,
            },
        )
    return row


# ---------------------------------------------------------------------------------------------- check


def _require_checker(actor: Any, case: Case) -> None:
    if actor is None or not getattr(actor, "is_authenticated", False) or not has_role(actor, Role.CLERK):
        raise Forbidden(
            ErrorDetail("clerk_required", "需要综合窗口人员权限", "Only a window clerk may do this")
        )
    if not clerk_may_handle(actor, case):
        raise Forbidden(
            _err("clerk_not_entitled", "无权核验该办件的材料", "You may not handle this case", "deficiency")
        )


def _material_record(case: Case, row: Deficiency) -> None:
    """The accepted supplement becomes the application's material (the checklist shows it supplied)."""
    if row.licence_id is not None:
        licence = row.licence
        defaults: dict[str, Any] = {
            "name": row.material_name,
            "state": MaterialState.E_LICENCE,
            "file": None,
            "file_name": "",
            "source_note": f"由{licence.issuer.name}电子证照获取（{licence.licence_type.name}，"
            f"编号 {licence.number}）"[:255],
        }
    else:
        defaults = {
            "name": row.material_name,
            "state": MaterialState.UPLOADED,
            "file": row.file,
            "file_name": row.file_name,
            "source_note": "容缺补交",
        }
    ApplicationMaterial.objects.update_or_create(
        application_id=case.application_id, key=row.material_key, defaults=defaults
    )


def deficiency_check(
    *,
    deficiency: Deficiency,
    actor: User,
    accepted: bool,
    reason: str = "",
    now: dt.datetime | None = None,
) -> Deficiency:
    """The clerk's check of a supplied material: accepted → supplied (the workflow is told and releases the
    held result when nothing else is outstanding); rejected → pending again, with the reason."""
    now = now or clock.now()
    reason = (reason or "").strip()
    case = Case.objects.select_related("region", "application").get(pk=deficiency.case_id)
    _require_checker(actor, case)
    if not accepted:
        if not reason:
            raise DomainError(_err("reason_required", "请填写未通过核验的原因", "Give the reason", "reason"))
        if len(reason) > MAX_REASON:
            raise DomainError(
                _err("too_long", f"原因不超过{MAX_REASON}字", "The reason is too long", "reason")
            )
    with transaction.atomic():
        # The workflow's lock order: its instance row first, then the case.
        flow = ProcessInstanceRecord.objects.select_for_update().filter(case_id=deficiency.case_id).first()
        case = Case.objects.select_for_update().select_related("application").get(pk=deficiency.case_id)
        row = (
            Deficiency.objects.select_for_update(of=("self",))
            .select_related("licence__licence_type", "licence__issuer")
            .get(pk=deficiency.pk)
        )
        if row.status == DeficiencyStatus.SUPPLIED and accepted:
            return row  # an identical retry of the acceptance
        if row.status != DeficiencyStatus.CHECKING:
            raise Conflict(
                _err(
                    "deficiency_not_awaiting_check",
                    f"《{row.material_name}》当前为“{row.get_status_display()}”，没有待核验的补交材料",
                    "Nothing awaits a check for this material",
                    "deficiency",
                )
            )
        if case.status not in LIVE_STATUSES:
            raise Conflict(
                _err(
                    "deficiency_closed",
                    "办件已终止或已结束，不能再核验",
                    "The case has ended",
                    "deficiency",
                )
            )
        row.checked_at = now
        row.checked_by = actor
        if accepted:
            row.status = DeficiencyStatus.SUPPLIED
            row.rejection_reason = ""
            row.save(update_fields=["status", "checked_at", "checked_by", "rejection_reason"])
            _material_record(case, row)
            CaseEvent.objects.create(
                case=case,
                at=now,
                kind="deficiency_supplied",
                title=f"补交的《{row.material_name}》已核验通过",
                actor=actor,
                data={"deficiency": row.pk, "material_key": row.material_key},
            )
            still_open = Deficiency.objects.filter(case=case, status__in=OPEN_STATUSES).exists()
            if flow is not None:
                case_deficiency_supplied(case=case, material_key=row.material_key, actor=actor, now=now)
            elif not still_open and case.result_held:
                case.result_held = False
                case.row_version += 1
                case.save(update_fields=["result_held", "row_version"])
            if not still_open:
                CaseEvent.objects.create(
                    case=case,
                    at=now,
                    kind="deficiencies_complete",
                    title="容缺材料已全部补齐，结果不再暂缓发放",
                    actor=actor,
                )
        else:
            row.status = DeficiencyStatus.PENDING
            row.rejection_reason = reason
            row.save(update_fields=["status", "checked_at", "checked_by", "rejection_reason"])
            CaseEvent.objects.create(
                case=case,
                at=now,
                kind="deficiency_rejected",
                title=f"补交的《{row.material_name}》未通过核验：{reason}"[:255],
                actor=actor,
                data={
                    "deficiency": row.pk,
                    "material_key": row.material_key,
                    "reason": reason,
                    "due_date": row.due_date.isoformat(),
                },
            )
        audit_record(
            actor=actor,
            action="case.deficiency_check",
            object_type="intake.case",
            object_id=case.pk,
            data={"deficiency": row.pk, "material_key": row.material_key, "accepted": accepted},
        )
    return row


# --------------------------------------------------------------------------------------------- sweeps


def _remind_until(today: dt.date, n: int) -> dt.date:
    """The latest commitment date to remind of today: `n` working days ahead."""
    try:
        return calendar_current().add_working_days(today, n).date
    except CalendarError:  # beyond the loaded calendar: count natural days rather than stay silent
        return today + dt.timedelta(days=n)


def deficiencies_remind(*, now: dt.datetime | None = None) -> int:
    """Once per open commitment, the reminder period (working days) before its date, a
    `deficiency_due_soon` CaseEvent. Returns how many were written. Idempotent (reminded_at)."""
    now = now or clock.now()
    today = _local_date(now)
    until = _remind_until(today, remind_working_days())
    start_of_today = dt.datetime.combine(today, dt.time(0), SHANGHAI)
    written = 0
    after = 0
    while True:
        ids = list(
            Deficiency.objects.filter(
                status=DeficiencyStatus.PENDING,
                reminded_at__isnull=True,
                due_date__gte=today,
                due_date__lte=until,
                signed_at__lt=start_of_today,
                pk__gt=after,
            )
            .order_by("pk")
            .values_list("pk", flat=True)[:SWEEP_BATCH]
        )
        if not ids:
            return written
        after = ids[-1]
        with transaction.atomic():
            rows = (
                Deficiency.objects.filter(
                    pk__in=ids, status=DeficiencyStatus.PENDING, reminded_at__isnull=True
                )
                .filter(case__status__in=LIVE_STATUSES)
                .select_for_update(skip_locked=True, of=("self",))
                .order_by("pk")
            )
            events = []
            done = []
            for row in rows:
                days = calendar_days_left(today, row.due_date)
                events.append(
                    CaseEvent(
                        case_id=row.case_id,
                        at=now,
                        kind="deficiency_due_soon",
                        title=f"请于{_cn_date(row.due_date)}前补交《{row.material_name}》（{days}），"
                        "逾期未补交的，本件终止办理"[:255],
                        data={
                            "deficiency": row.pk,
                            "material_key": row.material_key,
                            "due_date": row.due_date.isoformat(),
                        },
                    )
                )
                done.append(row.pk)
            CaseEvent.objects.bulk_create(events)
            Deficiency.objects.filter(pk__in=done).update(reminded_at=now)
            written += len(done)


def calendar_days_left(today: dt.date, due: dt.date) -> str:
    """How long is left, in people's words."""
    if due == today:
        return "今天截止"
    try:
        n = calendar_current().working_days_between(today, due).value
    except CalendarError:
        return f"还有{(due - today).days}天"
    return f"还有{n}个工作日"


def deficiencies_overdue_notice(*, now: dt.datetime | None = None) -> int:
    """One `deficiency_overdue` CaseEvent (with the 终止办理告知书) per case whose commitments turned overdue —
    by the workflow's sweep or acceptance.deficiencies_sweep — and were not yet told. Returns cases told."""
    now = now or clock.now()
    told = 0
    after = 0
    while True:
        case_ids = list(
            Deficiency.objects.filter(
                status=DeficiencyStatus.OVERDUE, overdue_noticed_at__isnull=True, case_id__gt=after
            )
            .order_by("case_id")
            .values_list("case_id", flat=True)
            .distinct()[:SWEEP_BATCH]
        )
        if not case_ids:
            return told
        after = case_ids[-1]
        with transaction.atomic():
            cases = Case.objects.filter(pk__in=case_ids).select_for_update(skip_locked=True).order_by("pk")
            for case in cases:
                rows = list(
                    Deficiency.objects.filter(
                        case=case, status=DeficiencyStatus.OVERDUE, overdue_noticed_at__isnull=True
                    ).order_by("due_date", "pk")
                )
                if not rows:
                    continue
                _overdue_event(case, rows, now)
                Deficiency.objects.filter(pk__in=[r.pk for r in rows]).update(overdue_noticed_at=now)
                told += 1


def _overdue_event(case: Case, rows: Iterable[Deficiency], now: dt.datetime) -> None:
    rows = list(rows)
    names = "、".join(f"《{r.material_name}》" for r in rows)
    ended = case.status == CaseStatus.TERMINATED
    title = f"{names}未在承诺日期前补交，" + ("本件终止办理" if ended else "已逾期")
    CaseEvent.objects.create(
        case=case,
        at=now,
        kind="deficiency_overdue",
        title=title[:255],
        data={
            "deficiencies": [r.pk for r in rows],
            "materials": [r.material_key for r in rows],
            "terminated": ended,
            "document": "termination" if ended else "",
        },
    )
    audit_record(
        actor=None,
        action="case.deficiency_overdue_notice",
        object_type="intake.case",
        object_id=case.pk,
        data={"materials": [r.material_key for r in rows], "terminated": ended},
    )

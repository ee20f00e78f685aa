"""Writes for 好差评: rating a completed case or a served visit, the rectification a bad rating opens (call back
within 1 working day, rectify within 15 — configurable per region), one follow-up rating after rectification,
and the department's appeal that a supervisor upholds (the rating is voided) or rejects.

Each change is one transaction with its audit event, its statistics fact (`stats_record(kind="rated")`:
level / previous_level / department_id / onsite, see the stats app) and its notifications. Bad input raises a
DomainError naming the field and changes nothing; the database's unique constraints make a second initial
rating or a second follow-up impossible even when two requests race.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction

from onetrip.core import clock
from onetrip.core.audit import audit_record
from onetrip.core.errors import Conflict, DomainError, ErrorDetail, Forbidden
from onetrip.intake.models import Case, CaseStatus, QueueTicket, TicketStatus
from onetrip.notify.services import NotificationDraft, notify_send_many
from onetrip.orders.selectors import (
    Recipients,
    department_answerer_ids,
    is_department_staff,
    is_supervisor_of,
    notification_drafts,
    supervisor_ids,
    working_deadline,
)
from onetrip.orgs.models import Department, Region, Role, User
from onetrip.orgs.permissions import has_role, scope_for
from onetrip.ratings.models import (
    OPEN_RECTIFICATION,
    AppealReason,
    AppealStatus,
    Rating,
    RatingAppeal,
    RatingKind,
    RatingLevel,
    RatingPolicy,
    RatingStatus,
    Rectification,
    RectificationStatus,
)
from onetrip.ratings.selectors import COMMENT_MAX, policy_check, policy_for, visit_department
from onetrip.stats.models import StatKind
from onetrip.stats.services import stats_record

TEXT_MAX = 4000
SWEEP_BATCH = 500
RATING_TYPE = "rating"
RECTIFICATION_TYPE = "rectification"
APPEAL_TYPE = "rating_appeal"

# --------------------------------------------------------------------------------------------- helpers


def _conflict(code: str, zh: str, en: str, field: str | None = None) -> Conflict:
    return Conflict(ErrorDetail(code, zh, en, field))


def _forbidden(code: str, zh: str, en: str, field: str | None = None) -> Forbidden:
    return Forbidden(ErrorDetail(code, zh, en, field))


def _note(value: str | None, *, field: str, label: str) -> str:
    text = (value or "").strip()
    if not text:
        raise DomainError.single("required", f"请填写{label}", f"{field} is required", field)
    if len(text) > TEXT_MAX:
        raise DomainError.single("too_long", f"{label}不能超过{TEXT_MAX}字", f"{field} is too long", field)
    return text


def _check_rating_input(level: Any, comment: str | None) -> tuple[int, str]:
    errors: list[ErrorDetail] = []
    text = (comment or "").strip()
    if type(level) is not int or level not in RatingLevel.values:
        errors.append(
            ErrorDetail(
                "invalid_level",
                "请选择评价等级：非常满意、满意、基本满意、不满意、非常不满意",
                "level must be 5, 4, 3, 2 or 1",
                "level",
            )
        )
    elif level <= RatingLevel.DISSATISFIED and not text:
        errors.append(
            ErrorDetail(
                "reason_required",
                "差评请写明不满意的原因，以便部门回访整改",
                "A bad rating needs a comment",
                "comment",
            )
        )
    if len(text) > COMMENT_MAX:
        errors.append(
            ErrorDetail(
                "too_long", f"评价内容不能超过{COMMENT_MAX}字", f"comment is at most {COMMENT_MAX}", "comment"
            )
        )
    if errors:
        raise DomainError(*errors)
    return level, text


def _notify(recipients: list[int], *, kind: str, title: str, key: str, link: str, at: dt.datetime) -> int:
    drafts = notification_drafts(recipients, kind=kind, title=title, key=key, link=link)
    return notify_send_many(drafts=drafts, at=at)


def _stats(rating: Rating, *, level: int | None, previous_level: int | None, at: dt.datetime) -> None:
    stats_record(
        case_id=rating.stats_case_id,
        kind=StatKind.RATED,
        at=at,
        data={
            "level": level,
            "previous_level": previous_level,
            "department_id": rating.department_id,
            "onsite": rating.onsite,
        },
    )


def rectification_link(rectification: Rectification) -> str:
    return f"/ratings/rectifications/{rectification.pk}/"


def rating_page_link(rating: Rating) -> str:
    """The applicant's page for the rated case or visit (case numbers are not personal data)."""
    if rating.case_id is not None:
        return f"/ratings/case/{rating.case.number}/"  # type: ignore[union-attr]
    return f"/ratings/visit/{rating.ticket_id}/"


# ------------------------------------------------------------------------------------------- rating


def _open_rectification(rating: Rating, *, region: Region, now: dt.datetime) -> Rectification:
    policy = policy_for(region)
    callback = working_deadline(now, policy.callback_days)
    rectify = working_deadline(now, policy.rectify_days)
    rectification = Rectification.objects.create(
        rating=rating,
        department=rating.department,
        opened_at=now,
        callback_days=policy.callback_days,
        rectify_days=policy.rectify_days,
        callback_due_at=callback.at,
        rectify_due_at=rectify.at,
        due_provisional=callback.provisional or rectify.provisional,
    )
    audit_record(
        actor=None,
        action="rectification.open",
        object_type=RECTIFICATION_TYPE,
        object_id=rectification.pk,
        data={
            "rating": rating.pk,
            "department": rating.department_id,
            "callback_days": policy.callback_days,
            "rectify_days": policy.rectify_days,
        },
    )
    _notify(
        department_answerer_ids(rating.department_id),
        kind="rating.bad",
        title=f"收到差评（{rating.get_level_display()}），请在{policy.callback_days}个工作日内回访",
        key=f"rectification-open:{rectification.pk}",
        link=rectification_link(rectification),
        at=now,
    )
    return rectification


def _create_initial(
    *,
    rater: User,
    department: Department,
    region: Region,
    level: int,
    comment: str,
    now: dt.datetime,
    case: Case | None = None,
    ticket: QueueTicket | None = None,
) -> Rating:
    try:
        with transaction.atomic():
            rating = Rating.objects.create(
                case=case,
                ticket=ticket,
                rater=rater,
                department=department,
                level=level,
                comment=comment,
                kind=RatingKind.INITIAL,
                created_at=now,
            )
            audit_record(
                actor=rater,
                action="rating.create",
                object_type=RATING_TYPE,
                object_id=rating.pk,
                data={
                    "case": case.number if case else None,
                    "ticket": ticket.pk if ticket else None,
                    "level": level,
                    "department": department.pk,
                },
            )
            _stats(rating, level=level, previous_level=None, at=now)
            if rating.is_bad:
                _open_rectification(rating, region=region, now=now)
    except IntegrityError:
        raise _conflict("already_rated", "您已评价过，每次办事只能首评一次", "Already rated") from None
    return rating


def case_rate(
    *, case: Case, rater: User, level: int, comment: str = "", now: dt.datetime | None = None
) -> Rating:
    """The applicant rates their completed case (one initial rating per case)."""
    now = now or clock.now()
    level, comment = _check_rating_input(level, comment)
    if case.applicant_id != rater.pk:
        raise _forbidden(
            "not_your_case", "只能评价本人的办件", "Only the applicant may rate the case", "case"
        )
    if case.status != CaseStatus.COMPLETED or case.completed_at is None:
        raise _conflict("case_not_completed", "办件办结后才能评价", "The case is not completed yet", "case")
    if Rating.objects.filter(case=case, kind=RatingKind.INITIAL).exists():
        raise _conflict(
            "already_rated", "该办件已评价，办件只能首评一次", "The case is already rated", "case"
        )
    return _create_initial(
        rater=rater,
        department=case.lead_department,
        region=case.lead_department.region,
        level=level,
        comment=comment,
        now=now,
        case=case,
    )


def visit_rate(
    *, ticket: QueueTicket, rater: User, level: int, comment: str = "", now: dt.datetime | None = None
) -> Rating:
    """The holder of a served queue ticket rates the visit on site (one initial rating per ticket)."""
    now = now or clock.now()
    level, comment = _check_rating_input(level, comment)
    if ticket.holder_id != rater.pk:
        raise _forbidden(
            "not_your_visit", "只能评价本人的办事", "Only the ticket's holder may rate", "ticket"
        )
    if ticket.status != TicketStatus.DONE:
        raise _conflict(
            "visit_not_finished", "窗口办理结束后才能评价", "The visit has not been served yet", "ticket"
        )
    if Rating.objects.filter(ticket=ticket, kind=RatingKind.INITIAL).exists():
        raise _conflict("already_rated", "本次办事已评价", "The visit is already rated", "ticket")
    department = visit_department(ticket)
    return _create_initial(
        rater=rater,
        department=department,
        region=ticket.hall.region,
        level=level,
        comment=comment,
        now=now,
        ticket=ticket,
    )


def rating_follow_up(
    *, rating: Rating, rater: User, level: int, comment: str = "", now: dt.datetime | None = None
) -> Rating:
    """One follow-up after the rectification of a bad rating, by the same person; it replaces the first."""
    now = now or clock.now()
    level, comment = _check_rating_input(level, comment)
    if rating.rater_id != rater.pk:
        raise _forbidden("not_your_rating", "只能追评本人的评价", "Only the rater may follow up", "rating")
    if rating.kind != RatingKind.INITIAL:
        raise _conflict("follow_up_exists", "追评只能一次", "Only one follow-up is allowed", "rating")
    try:
        with transaction.atomic():
            initial: Rating = Rating.objects.select_for_update().get(pk=rating.pk)
            if Rating.objects.filter(previous=initial).exists():
                raise _conflict("follow_up_exists", "追评只能一次", "Only one follow-up is allowed", "rating")
            if initial.status != RatingStatus.VALID:
                raise _conflict(
                    "rating_voided", "该评价已作废，不能追评", "The rating is no longer valid", "rating"
                )
            rect = Rectification.objects.filter(rating=initial).first()
            if rect is None or rect.status != RectificationStatus.CLOSED:
                raise _conflict(
                    "rectification_not_closed",
                    "差评整改完成后才能追评",
                    "A follow-up is allowed once the rectification is done",
                    "rating",
                )
            if RatingAppeal.objects.filter(rating=initial, status=AppealStatus.PENDING).exists():
                raise _conflict(
                    "appeal_pending", "部门申诉审核中，暂不能追评", "An appeal is being decided", "rating"
                )
            follow = Rating.objects.create(
                case_id=initial.case_id,
                ticket_id=initial.ticket_id,
                rater=rater,
                department_id=initial.department_id,
                level=level,
                comment=comment,
                kind=RatingKind.FOLLOW_UP,
                previous=initial,
                created_at=now,
            )
            initial.status = RatingStatus.REPLACED
            initial.save(update_fields=["status"])
            audit_record(
                actor=rater,
                action="rating.follow_up",
                object_type=RATING_TYPE,
                object_id=follow.pk,
                data={"previous": initial.pk, "level": level, "previous_level": initial.level},
            )
            _stats(follow, level=level, previous_level=initial.level, at=now)
            _notify(
                department_answerer_ids(initial.department_id),
                kind="rating.follow_up",
                title=f"整改后追评：{follow.get_level_display()}",
                key=f"rating-follow-up:{follow.pk}",
                link=rectification_link(rect),
                at=now,
            )
    except IntegrityError:
        raise _conflict(
            "follow_up_exists", "追评只能一次", "Only one follow-up is allowed", "rating"
        ) from None
    return follow


# ------------------------------------------------------------------------------------- rectification


def _require_staff(user: User, department_id: int) -> None:
    if not is_department_staff(user, department_id):
        raise _forbidden(
            "not_department_staff", "只有被评价部门的人员可以办理", "Only the rated department may do this"
        )


def rectification_callback(
    *, rectification: Rectification, actor: User, note: str, now: dt.datetime | None = None
) -> Rectification:
    """The department has called the applicant back: what they heard and what they will do."""
    now = now or clock.now()
    _require_staff(actor, rectification.department_id)
    note = _note(note, field="note", label="回访情况")
    with transaction.atomic():
        row: Rectification = Rectification.objects.select_for_update().get(pk=rectification.pk)
        if row.status != RectificationStatus.AWAITING_CALLBACK:
            raise _conflict(
                "not_awaiting_callback",
                f"整改当前状态为“{row.get_status_display()}”，不能登记回访",
                "The rectification is not awaiting a call-back",
            )
        late = now > row.callback_due_at
        row.status = RectificationStatus.RECTIFYING
        row.called_back_at = now
        row.called_back_by = actor
        row.callback_note = note
        row.callback_overdue = row.callback_overdue or late
        row.save(
            update_fields=["status", "called_back_at", "called_back_by", "callback_note", "callback_overdue"]
        )
        audit_record(
            actor=actor,
            action="rectification.callback",
            object_type=RECTIFICATION_TYPE,
            object_id=row.pk,
            data={"late": late},
        )
    return row


def rectification_close(
    *, rectification: Rectification, actor: User, note: str, now: dt.datetime | None = None
) -> Rectification:
    """The department reports the rectification done; the applicant may now rate again once."""
    now = now or clock.now()
    _require_staff(actor, rectification.department_id)
    note = _note(note, field="note", label="整改情况")
    with transaction.atomic():
        row: Rectification = (
            Rectification.objects.select_for_update(of=("self",))
            .select_related("rating__case")
            .get(pk=rectification.pk)
        )
        if row.status == RectificationStatus.AWAITING_CALLBACK:
            raise _conflict(
                "callback_first", "请先登记回访情况，再提交整改结果", "Record the call-back first"
            )
        if row.status != RectificationStatus.RECTIFYING:
            raise _conflict(
                "rectification_closed",
                f"整改当前状态为“{row.get_status_display()}”",
                "The rectification is not open",
            )
        late = now > row.rectify_due_at
        row.status = RectificationStatus.CLOSED
        row.closed_at = now
        row.closed_by = actor
        row.rectify_note = note
        row.rectify_overdue = row.rectify_overdue or late
        row.save(update_fields=["status", "closed_at", "closed_by", "rectify_note", "rectify_overdue"])
        audit_record(
            actor=actor,
            action="rectification.close",
            object_type=RECTIFICATION_TYPE,
            object_id=row.pk,
            data={"late": late},
        )
        _notify(
            [row.rating.rater_id],
            kind="rating.rectified",
            title="您反映的问题已整改，欢迎再次评价",
            key=f"rectification-closed:{row.pk}",
            link=rating_page_link(row.rating),
            at=now,
        )
    return row


# ------------------------------------------------------------------------------------------- appeals


def rating_appeal(
    *, rating: Rating, actor: User, reason: str, reasons: str, now: dt.datetime | None = None
) -> RatingAppeal:
    """The rated department appeals a bad rating as mistaken or malicious."""
    now = now or clock.now()
    _require_staff(actor, rating.department_id)
    if reason not in AppealReason.values:
        raise DomainError.single(
            "invalid_choice", "申诉理由须为误评或恶意差评", "reason must be mistaken or malicious", "reason"
        )
    reasons = _note(reasons, field="reasons", label="申诉说明")
    try:
        with transaction.atomic():
            row: Rating = Rating.objects.select_for_update().get(pk=rating.pk)
            if row.status != RatingStatus.VALID or not row.is_bad:
                raise _conflict(
                    "appeal_not_allowed",
                    "只能对有效的差评提出申诉",
                    "Only a valid bad rating can be appealed",
                )
            appeal = RatingAppeal.objects.create(
                rating=row,
                department_id=row.department_id,
                reason=reason,
                reasons=reasons,
                filed_by=actor,
                filed_at=now,
            )
            audit_record(
                actor=actor,
                action="rating.appeal",
                object_type=APPEAL_TYPE,
                object_id=appeal.pk,
                data={"rating": row.pk, "reason": reason},
            )
            _notify(
                supervisor_ids(row.department),
                kind="rating.appeal",
                title=f"{row.department}对一条差评提出申诉（{appeal.get_reason_display()}）",
                key=f"rating-appeal:{appeal.pk}",
                link=f"/ratings/appeals/{appeal.pk}/",
                at=now,
            )
    except IntegrityError:
        raise _conflict(
            "already_appealed", "该评价已申诉过", "The rating has already been appealed"
        ) from None
    return appeal


def appeal_decide(
    *, appeal: RatingAppeal, actor: User, uphold: bool, note: str, now: dt.datetime | None = None
) -> RatingAppeal:
    """A supervisor decides: upheld voids the rating (removed from the statistics, its rectification
    withdrawn); rejected leaves everything as it was."""
    now = now or clock.now()
    if not is_supervisor_of(actor, appeal.department_id):
        raise _forbidden(
            "out_of_scope", "该部门不在您的监管范围内", "The department is outside your supervision scope"
        )
    if not isinstance(uphold, bool):
        raise DomainError.single("invalid", "请选择申诉是否成立", "uphold must be true or false", "uphold")
    note = _note(note, field="note", label="审核意见")
    with transaction.atomic():
        row: RatingAppeal = RatingAppeal.objects.select_for_update().get(pk=appeal.pk)
        if row.status != AppealStatus.PENDING:
            raise _conflict("appeal_decided", "该申诉已审核", "The appeal has already been decided")
        row.status = AppealStatus.UPHELD if uphold else AppealStatus.REJECTED
        row.decided_by = actor
        row.decided_at = now
        row.decision_note = note
        row.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
        rating: Rating = Rating.objects.select_for_update().get(pk=row.rating_id)
        withdrawn: list[int] = []
        if uphold:
            rating.status = RatingStatus.VOIDED
            rating.voided_at = now
            rating.save(update_fields=["status", "voided_at"])
            _stats(rating, level=None, previous_level=rating.level, at=now)
            open_rows = Rectification.objects.filter(rating=rating, status__in=OPEN_RECTIFICATION)
            withdrawn = list(open_rows.values_list("pk", flat=True))
            open_rows.update(status=RectificationStatus.VOIDED, voided_at=now)
        audit_record(
            actor=actor,
            action="rating.appeal_upheld" if uphold else "rating.appeal_rejected",
            object_type=APPEAL_TYPE,
            object_id=row.pk,
            data={"rating": rating.pk, "rectifications_withdrawn": withdrawn},
        )
        verdict = "申诉成立，该评价已作废" if uphold else "申诉不成立，请继续整改"
        _notify(
            department_answerer_ids(row.department_id),
            kind="rating.appeal_decided",
            title=f"差评申诉审核结果：{verdict}",
            key=f"rating-appeal-decided:{row.pk}",
            link=f"/ratings/appeals/{row.pk}/",
            at=now,
        )
        if uphold:
            _notify(
                [rating.rater_id],
                kind="rating.voided",
                title="您的一条评价经核实不予采信，已作废",
                key=f"rating-voided:{rating.pk}",
                link=rating_page_link(rating),
                at=now,
            )
    return row


# --------------------------------------------------------------------------------------------- policy


def rating_policy_set(
    *,
    region: Region,
    callback_days: int,
    rectify_days: int,
    service_centre: Department | None = None,
    actor: User,
    now: dt.datetime | None = None,
) -> RatingPolicy:
    """Set a region's limits (a system administrator, or a supervisor whose region covers it)."""
    now = now or clock.now()
    scope = scope_for(actor, Role.SUPERVISOR)
    allowed = has_role(actor, Role.SYSTEM_ADMIN) or scope.everything
    allowed = allowed or any(region.code.startswith(p) for p in scope.region_prefixes)
    if not allowed:
        raise _forbidden(
            "out_of_scope", "该区划不在您的管理范围内", "The region is outside your scope", "region"
        )
    errors = policy_check(
        region=region, callback_days=callback_days, rectify_days=rectify_days, service_centre=service_centre
    )
    if errors:
        raise DomainError(*errors)
    with transaction.atomic():
        policy, _ = RatingPolicy.objects.update_or_create(
            region=region,
            defaults={
                "callback_days": callback_days,
                "rectify_days": rectify_days,
                "service_centre": service_centre,
                "updated_at": now,
                "updated_by": actor,
            },
        )
        audit_record(
            actor=actor,
            action="rating_policy.set",
            object_type="rating_policy",
            object_id=policy.pk,
            data={
                "region": region.code,
                "callback_days": callback_days,
                "rectify_days": rectify_days,
                "service_centre": service_centre.pk if service_centre else None,
            },
        )
    return policy


# ----------------------------------------------------------------------------------------------- sweep


@dataclass
class RatingsSweepReport:
    callbacks_overdue: int = 0
    rectifications_overdue: int = 0
    notifications: int = 0

    def as_dict(self) -> dict[str, int]:
        return {
            "callbacks_overdue": self.callbacks_overdue,
            "rectifications_overdue": self.rectifications_overdue,
            "notifications": self.notifications,
        }


def _sweep(
    *,
    now: dt.datetime,
    filters: dict[str, Any],
    flag: str,
    order_field: str,
    what: str,
    label: str,
    report: RatingsSweepReport,
    people: Recipients,
) -> int:
    flagged = 0
    while True:
        with transaction.atomic():
            rows = list(
                Rectification.objects.filter(**filters)
                .select_for_update(skip_locked=True, of=("self",))
                .select_related("department__region")
                .order_by(order_field, "pk")[:SWEEP_BATCH]
            )
            if not rows:
                return flagged
            Rectification.objects.filter(pk__in=[r.pk for r in rows]).update(**{flag: True})
            drafts: list[NotificationDraft] = []
            for row in rows:
                audit_record(
                    actor=None,
                    action=f"rectification.{flag}",
                    object_type=RECTIFICATION_TYPE,
                    object_id=row.pk,
                )
                drafts += notification_drafts(
                    [*people.answerers(row.department_id), *people.supervisors(row.department)],
                    kind=f"rectification.{what}",
                    title=f"差评{label}已超期：{row.department}",
                    key=f"rectification-{what}:{row.pk}",
                    link=rectification_link(row),
                )
            report.notifications += notify_send_many(drafts=drafts, at=now)
            flagged += len(rows)
        if len(rows) < SWEEP_BATCH:
            return flagged


def ratings_sweep(*, now: dt.datetime | None = None) -> RatingsSweepReport:
    """Flag call-backs and rectifications past their limits and tell the department and its supervisors,
    once each (dedup keys); rows are taken with SKIP LOCKED so sweeps may run side by side."""
    now = now or clock.now()
    report, people = RatingsSweepReport(), Recipients()
    report.callbacks_overdue = _sweep(
        now=now,
        filters={
            "status": RectificationStatus.AWAITING_CALLBACK,
            "callback_overdue": False,
            "callback_due_at__lt": now,
        },
        flag="callback_overdue",
        order_field="callback_due_at",
        what="callback-overdue",
        label="回访",
        report=report,
        people=people,
    )
    report.rectifications_overdue = _sweep(
        now=now,
        filters={"status__in": list(OPEN_RECTIFICATION), "rectify_overdue": False, "rectify_due_at__lt": now},
        flag="rectify_overdue",
        order_field="rectify_due_at",
        what="rectify-overdue",
        label="整改",
        report=report,
        people=people,
    )
    return report

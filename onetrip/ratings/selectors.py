"""Reads for 好差评: the policy that applies to a region, what an applicant may rate, and the scoped lists.

Scopes: an applicant sees their own ratings; a department's handlers and leaders see the ratings,
rectifications and appeals of their department; a supervisor those of the departments of their region
(orgs.permissions); a system administrator everything. Lists filter in SQL and page by id.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db.models import Exists, OuterRef, Q, QuerySet

from onetrip.core.errors import DomainError, ErrorDetail, not_found
from onetrip.intake.models import Case, CaseStatus, QueueTicket, TicketStatus
from onetrip.orders.selectors import Page, is_user, page_before, reader_scope
from onetrip.orgs.models import Department, Region
from onetrip.orgs.selectors import region_ancestors
from onetrip.ratings.models import (
    BAD_LEVELS,
    AppealStatus,
    Rating,
    RatingAppeal,
    RatingKind,
    RatingPolicy,
    RatingStatus,
    Rectification,
    RectificationStatus,
)

DEFAULT_CALLBACK_DAYS = 1  # 浙江：差评1个工作日内回访
DEFAULT_RECTIFY_DAYS = 15  # 浙江：15个工作日内整改
MAX_CALLBACK_DAYS = 10
MAX_RECTIFY_DAYS = 60
COMMENT_MAX = 1000


def policy_errors(callback_days: Any, rectify_days: Any) -> list[ErrorDetail]:
    """What is wrong with a pair of limits (shared by the service, the admin and the settings check)."""
    errors: list[ErrorDetail] = []
    if type(callback_days) is not int or not 1 <= callback_days <= MAX_CALLBACK_DAYS:
        errors.append(
            ErrorDetail(
                "invalid_days",
                f"回访时限须为1至{MAX_CALLBACK_DAYS}个工作日",
                f"callback_days must be an integer from 1 to {MAX_CALLBACK_DAYS}",
                "callback_days",
            )
        )
    if type(rectify_days) is not int or not 1 <= rectify_days <= MAX_RECTIFY_DAYS:
        errors.append(
            ErrorDetail(
                "invalid_days",
                f"整改时限须为1至{MAX_RECTIFY_DAYS}个工作日",
                f"rectify_days must be an integer from 1 to {MAX_RECTIFY_DAYS}",
                "rectify_days",
            )
        )
    elif not errors and rectify_days < callback_days:
        errors.append(
            ErrorDetail(
                "rectify_before_callback",
                "整改时限不能短于回访时限",
                "rectify_days must not be shorter than callback_days",
                "rectify_days",
            )
        )
    return errors


def policy_check(
    *, region: Region, callback_days: Any, rectify_days: Any, service_centre: Department | None
) -> list[ErrorDetail]:
    errors = policy_errors(callback_days, rectify_days)
    if service_centre is not None and not service_centre.region.code.startswith(region.prefix):
        errors.append(
            ErrorDetail(
                "department_outside_region",
                "大厅管理部门须属于该区划",
                "The service centre must be a department of the region",
                "service_centre_id",
            )
        )
    return errors


@dataclass(frozen=True)
class Policy:
    callback_days: int
    rectify_days: int
    service_centre_id: int | None
    region_id: int | None  # the region whose row applies; None: the settings' defaults


def default_policy() -> Policy:
    return Policy(
        getattr(settings, "RATINGS_CALLBACK_WORKDAYS", DEFAULT_CALLBACK_DAYS),
        getattr(settings, "RATINGS_RECTIFY_WORKDAYS", DEFAULT_RECTIFY_DAYS),
        None,
        None,
    )


def policy_for(region: Region) -> Policy:
    """The policy of the nearest region up the tree that has one (one query), else the defaults."""
    chain = [*region_ancestors(region=region), region]
    rows = {p.region_id: p for p in RatingPolicy.objects.filter(region_id__in=[r.pk for r in chain])}
    for r in reversed(chain):
        row = rows.get(r.pk)
        if row is not None:
            return Policy(row.callback_days, row.rectify_days, row.service_centre_id, r.pk)
    return default_policy()


def visit_department(ticket: QueueTicket) -> Department:
    """Who answers for a visit: a department window's department; else the case the visit was about (its
    lead department); else the service centre named in the hall region's policy."""
    window = ticket.window
    if window is not None and window.department_id is not None:
        return window.department  # type: ignore[return-value]
    if ticket.case_id is not None:
        return ticket.case.lead_department  # type: ignore[union-attr]
    centre = policy_for(ticket.hall.region).service_centre_id
    if centre is not None:
        return Department.objects.get(pk=centre)
    raise DomainError(
        ErrorDetail(
            "no_responsible_department",
            "该大厅尚未设置负责现场评价整改的管理部门，请联系管理员",
            "The hall has no department answering for on-site ratings; ask an administrator",
            "ticket",
        )
    )


# ------------------------------------------------------------------------------------------------ lists


def ratings_visible(user: Any) -> QuerySet[Rating]:
    """One rating: the rater's own, or one of the departments the user works in or supervises."""
    qs = Rating.objects.select_related("department", "case", "ticket", "rater")
    scope = reader_scope(user)
    if scope.everything:
        return qs
    condition = scope.q(department_field="department")
    if is_user(user):
        own = Q(rater_id=user.pk)
        condition = own if condition is None else condition | own
    return qs.filter(condition) if condition is not None else qs.none()


def ratings_page(
    *,
    user: Any,
    before: int | None = None,
    limit: int = 50,
    bad_only: bool = False,
    department_id: int | None = None,
    status: str | None = None,
    mine: bool = False,
) -> Page[Rating]:
    """A page of ratings, newest first: the user's own (`mine`, and for anyone without a department scope),
    else those of their departments / region — one condition each, so each walks its own index
    (rating_rater, rating_department or the primary key)."""
    qs = Rating.objects.select_related("department", "case", "ticket")
    scope = reader_scope(user)
    if mine or not scope.has_departments:
        qs = qs.filter(rater_id=user.pk) if is_user(user) else qs.none()
    else:
        qs = scope.filter(qs, department_field="department")
    if bad_only:
        qs = qs.filter(level__in=sorted(BAD_LEVELS))
    if department_id is not None:
        qs = qs.filter(department_id=department_id)
    if status:
        qs = qs.filter(status=status)
    return page_before(qs, before=before, limit=limit)


def rating_get(*, user: Any, rating_id: int) -> Rating:
    rating = ratings_visible(user).filter(pk=rating_id).first()
    if rating is None:
        raise not_found("评价", "Rating", "rating_id")
    return rating


def rectifications_visible(user: Any) -> QuerySet[Rectification]:
    qs = Rectification.objects.select_related(
        "department", "rating", "rating__case", "rating__ticket", "rating__appeal"
    )
    return reader_scope(user).filter(qs, department_field="department")


def rectifications_page(
    *,
    user: Any,
    before: int | None = None,
    limit: int = 50,
    status: str | None = None,
    overdue: bool | None = None,
) -> Page[Rectification]:
    qs = rectifications_visible(user)
    if status == "open":
        qs = qs.filter(status__in=[RectificationStatus.AWAITING_CALLBACK, RectificationStatus.RECTIFYING])
    elif status:
        qs = qs.filter(status=status)
    if overdue is True:
        qs = qs.filter(Q(callback_overdue=True) | Q(rectify_overdue=True))
    elif overdue is False:
        qs = qs.filter(callback_overdue=False, rectify_overdue=False)
    return page_before(qs, before=before, limit=limit)


def rectification_get(*, user: Any, rectification_id: int) -> Rectification:
    row = rectifications_visible(user).filter(pk=rectification_id).first()
    if row is None:
        raise not_found("整改", "Rectification", "rectification_id")
    return row


def appeals_visible(user: Any) -> QuerySet[RatingAppeal]:
    qs = RatingAppeal.objects.select_related("department", "rating", "rating__case", "filed_by")
    return reader_scope(user).filter(qs, department_field="department")


def appeals_page(
    *, user: Any, before: int | None = None, limit: int = 50, status: str | None = None
) -> Page[RatingAppeal]:
    qs = appeals_visible(user)
    if status:
        qs = qs.filter(status=status)
    return page_before(qs, before=before, limit=limit)


def appeal_get(*, user: Any, appeal_id: int) -> RatingAppeal:
    row = appeals_visible(user).filter(pk=appeal_id).first()
    if row is None:
        raise not_found("申诉", "Appeal", "appeal_id")
    return row


# ------------------------------------------------------------------------------------ applicant's side


@dataclass
class RatingState:
    """Where a case or visit stands for its applicant: what was rated, and what may be done now."""

    initial: Rating | None
    follow_up: Rating | None
    rectification: Rectification | None
    can_rate: bool
    can_follow_up: bool
    reason: str  # why nothing can be done, for the page


def _state(initial: Rating | None, *, ready: bool, not_ready_reason: str) -> RatingState:
    if initial is None:
        return RatingState(None, None, None, ready, False, "" if ready else not_ready_reason)
    follow = Rating.objects.filter(previous=initial).first()
    rect = Rectification.objects.filter(rating=initial).first()
    pending_appeal = RatingAppeal.objects.filter(rating=initial, status=AppealStatus.PENDING).exists()
    can_follow = (
        follow is None
        and initial.status == RatingStatus.VALID
        and rect is not None
        and rect.status == RectificationStatus.CLOSED
        and not pending_appeal
    )
    if follow is not None:
        reason = "您已追评。"
    elif initial.status == RatingStatus.VOIDED:
        reason = "该评价经申诉核实已作废。"
    elif rect is None:
        reason = "您已评价，感谢您的反馈。"
    elif rect.status != RectificationStatus.CLOSED:
        reason = "部门正在回访整改，整改完成后您可以追评一次。"
    elif pending_appeal:
        reason = "部门对该评价提出了申诉，正在审核。"
    else:
        reason = ""
    return RatingState(initial, follow, rect, False, can_follow, reason)


def case_by_number(number: str) -> Case:
    """A case by its number (the rating services refuse anyone but its applicant)."""
    case = (
        Case.objects.filter(number=(number or "").strip()).select_related("lead_department__region").first()
        if number
        else None
    )
    if case is None:
        raise not_found("办件", "Case", "case")
    return case


def case_rating_state(case: Case) -> RatingState:
    initial = Rating.objects.filter(case=case, kind=RatingKind.INITIAL).first()
    completed = case.status == CaseStatus.COMPLETED and case.completed_at is not None
    return _state(initial, ready=completed, not_ready_reason="办件办结后才能评价。")


def ticket_by_id(ticket_id: int) -> QueueTicket:
    """A queue ticket (the rating services refuse anyone but its holder)."""
    ticket = (
        QueueTicket.objects.filter(pk=ticket_id)
        .select_related("hall__region", "window__department", "case__lead_department")
        .first()
    )
    if ticket is None:
        raise not_found("办事记录", "Visit", "ticket")
    return ticket


def visit_rating_state(ticket: QueueTicket) -> RatingState:
    initial = Rating.objects.filter(ticket=ticket, kind=RatingKind.INITIAL).first()
    return _state(
        initial, ready=ticket.status == TicketStatus.DONE, not_ready_reason="窗口办理结束后才能评价。"
    )


def cases_awaiting_rating(*, user: Any, limit: int = 20) -> list[Case]:
    """The applicant's completed cases without a rating, newest first (the case index by applicant)."""
    rated = Rating.objects.filter(case=OuterRef("pk"), kind=RatingKind.INITIAL)
    return list(
        Case.objects.filter(applicant_id=user.pk, status=CaseStatus.COMPLETED)
        .filter(~Exists(rated))
        .order_by("-submitted_at", "-id")[:limit]
    )


def visits_awaiting_rating(*, user: Any, limit: int = 10) -> list[QueueTicket]:
    rated = Rating.objects.filter(ticket=OuterRef("pk"), kind=RatingKind.INITIAL)
    return list(
        QueueTicket.objects.filter(holder_id=user.pk, status=TicketStatus.DONE)
        .filter(~Exists(rated))
        .select_related("hall", "window")
        .order_by("-finished_at", "-id")[:limit]
    )


def counts_for(user: Any) -> dict[str, int]:
    rects = rectifications_visible(user)
    return {
        "rectifications_open": rects.filter(
            status__in=[RectificationStatus.AWAITING_CALLBACK, RectificationStatus.RECTIFYING]
        ).count(),
        "rectifications_overdue": rects.filter(
            status__in=[RectificationStatus.AWAITING_CALLBACK, RectificationStatus.RECTIFYING]
        )
        .filter(Q(callback_overdue=True) | Q(rectify_overdue=True))
        .count(),
        "appeals_pending": appeals_visible(user).filter(status=AppealStatus.PENDING).count(),
    }

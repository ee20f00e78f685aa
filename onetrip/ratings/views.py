"""好差评 pages (/ratings/): the applicant rates a completed case or a served visit (and follows up once after a
rectification); a department calls back, rectifies and appeals; a supervisor reads the region's ratings and
decides appeals. Thin: parse the form, call one service or selector, render; a refused form is shown again
with what was typed and the reasons."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_POST

from onetrip.core.errors import DomainError, NotFound
from onetrip.core.masking import mask_text
from onetrip.orders.selectors import is_department_staff, is_supervisor_of, reader_scope
from onetrip.orgs.models import Role
from onetrip.orgs.permissions import has_role
from onetrip.ratings import selectors, services
from onetrip.ratings.models import AppealReason, AppealStatus, RatingLevel, RatingStatus

LEVELS = [(level.value, level.label) for level in RatingLevel]
PAGE = 30


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except ValueError:
        return None


def _errors(exc: DomainError) -> list[str]:
    return [e.message_zh for e in exc.errors]


def _missing(request: HttpRequest, what: str) -> HttpResponse:
    return render(request, "ratings/missing.html", {"what": what}, status=404)


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """The rating hub: what an applicant may rate, and a department's or supervisor's open work."""
    user = request.user
    staff = reader_scope(user).has_departments
    context: dict[str, Any] = {
        "cases": selectors.cases_awaiting_rating(user=user),
        "visits": selectors.visits_awaiting_rating(user=user),
        "mine": selectors.ratings_page(user=user, mine=True, limit=20).rows,
        "staff": staff,
        "supervisor": has_role(user, Role.SUPERVISOR, Role.SYSTEM_ADMIN),
        "counts": selectors.counts_for(user) if staff else {},
    }
    return render(request, "ratings/home.html", context)


def _rate_page(
    request: HttpRequest,
    *,
    subject: Any,
    state: selectors.RatingState,
    kind: str,
    errors: list[str] | None = None,
    status: int = 200,
) -> HttpResponse:
    return render(
        request,
        "ratings/rate.html",
        {
            "subject": subject,
            "kind": kind,
            "state": state,
            "levels": LEVELS,
            "typed": request.POST if errors else {},
            "form_errors": errors or [],
        },
        status=status,
    )


def _rate(request: HttpRequest, *, subject: Any, kind: str, state_of: Any, rate: Any) -> HttpResponse:
    if request.method == "POST":
        level = _int(request.POST.get("level"))
        comment = request.POST.get("comment", "")
        state = state_of(subject)
        try:
            if request.POST.get("follow_up") and state.initial is not None:
                services.rating_follow_up(
                    rating=state.initial, rater=request.user, level=level, comment=comment
                )  # type: ignore[arg-type]
                messages.success(request, "感谢您的追评。")
            else:
                rate(subject, level, comment)
                messages.success(request, "感谢您的评价。")
        except DomainError as exc:
            return _rate_page(
                request,
                subject=subject,
                state=state_of(subject),
                kind=kind,
                errors=_errors(exc),
                status=exc.status_code,
            )
        return HttpResponseRedirect(request.path)
    return _rate_page(request, subject=subject, state=state_of(subject), kind=kind)


@login_required
def rate_case(request: HttpRequest, number: str) -> HttpResponse:
    try:
        case = selectors.case_by_number(number)
    except NotFound:
        return _missing(request, "办件")
    if case.applicant_id != request.user.pk:
        return render(request, "ratings/not_yours.html", {"what": "办件"}, status=403)
    return _rate(
        request,
        subject=case,
        kind="case",
        state_of=selectors.case_rating_state,
        rate=lambda c, level, comment: services.case_rate(
            case=c, rater=request.user, level=level, comment=comment
        ),  # type: ignore[arg-type]
    )


@login_required
def rate_visit(request: HttpRequest, ticket_id: int) -> HttpResponse:
    try:
        ticket = selectors.ticket_by_id(ticket_id)
    except NotFound:
        return _missing(request, "办事记录")
    if ticket.holder_id != request.user.pk:
        return render(request, "ratings/not_yours.html", {"what": "办事记录"}, status=403)
    return _rate(
        request,
        subject=ticket,
        kind="visit",
        state_of=selectors.visit_rating_state,
        rate=lambda t, level, comment: services.visit_rate(
            ticket=t, rater=request.user, level=level, comment=comment
        ),  # type: ignore[arg-type]
    )


# ----------------------------------------------------------------------------------- department, supervisor


@login_required
def rating_list(request: HttpRequest) -> HttpResponse:
    bad = request.GET.get("bad") == "1"
    page = selectors.ratings_page(
        user=request.user,
        before=_int(request.GET.get("before")),
        limit=PAGE,
        bad_only=bad,
        status=request.GET.get("status") or None,
    )
    rows = [(r, mask_text(r.comment)) for r in page.rows]
    return render(
        request,
        "ratings/list.html",
        {"rows": rows, "next_before": page.next_before, "bad": bad, "statuses": RatingStatus.choices},
    )


def _rating_context(request: HttpRequest, rating: Any, **extra: Any) -> dict[str, Any]:
    user = request.user
    appeal = getattr(rating, "appeal", None)  # a missing reverse one-to-one raises an AttributeError
    return {
        "rating": rating,
        "comment": mask_text(rating.comment),
        "rectification": getattr(rating, "rectification", None),
        "appeal": appeal,
        "can_appeal": appeal is None
        and rating.is_bad
        and rating.status == RatingStatus.VALID
        and is_department_staff(user, rating.department_id),
        "reasons": AppealReason.choices,
        **extra,
    }


@login_required
def rating_detail(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        rating = selectors.rating_get(user=request.user, rating_id=pk)
    except NotFound:
        return _missing(request, "评价")
    return render(request, "ratings/rating.html", _rating_context(request, rating))


@login_required
@require_POST
def rating_appeal_view(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        rating = selectors.rating_get(user=request.user, rating_id=pk)
    except NotFound:
        return _missing(request, "评价")
    try:
        appeal = services.rating_appeal(
            rating=rating,
            actor=request.user,  # type: ignore[arg-type]
            reason=request.POST.get("reason", ""),
            reasons=request.POST.get("reasons", ""),
        )
    except DomainError as exc:
        context = _rating_context(request, rating, form_errors=_errors(exc), typed=request.POST)
        return render(request, "ratings/rating.html", context, status=exc.status_code)
    messages.success(request, "申诉已提交，等待效能监管部门审核。")
    return HttpResponseRedirect(reverse("ratings:appeal", args=[appeal.pk]))


@login_required
def rectification_list(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", "open")
    overdue = request.GET.get("overdue") == "1"
    page = selectors.rectifications_page(
        user=request.user,
        before=_int(request.GET.get("before")),
        limit=PAGE,
        status=status if status != "all" else None,
        overdue=True if overdue else None,
    )
    return render(
        request,
        "ratings/rectifications.html",
        {"rows": page.rows, "next_before": page.next_before, "status": status, "overdue": overdue},
    )


def _rectification_page(
    request: HttpRequest, rect: Any, *, failed: str = "", errors: list[str] | None = None, status: int = 200
) -> HttpResponse:
    rating = rect.rating
    return render(
        request,
        "ratings/rectification.html",
        {
            "rect": rect,
            "rating": rating,
            "comment": mask_text(rating.comment),
            "follow_up": getattr(rating, "follow_up", None),
            "can_act": is_department_staff(request.user, rect.department_id),
            "failed": failed,
            "typed": request.POST if errors else {},
            "form_errors": errors or [],
        },
        status=status,
    )


@login_required
def rectification_detail(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        rect = selectors.rectification_get(user=request.user, rectification_id=pk)
    except NotFound:
        return _missing(request, "整改")
    return _rectification_page(request, rect)


_RECTIFICATION_ACTIONS = {
    "callback": (services.rectification_callback, "回访情况已登记。"),
    "close": (services.rectification_close, "整改结果已提交，申请人可以追评一次。"),
}


@login_required
@require_POST
def rectification_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    try:
        rect = selectors.rectification_get(user=request.user, rectification_id=pk)
    except NotFound:
        return _missing(request, "整改")
    if action not in _RECTIFICATION_ACTIONS:
        return _missing(request, "操作")
    service, done = _RECTIFICATION_ACTIONS[action]
    try:
        service(rectification=rect, actor=request.user, note=request.POST.get("note", ""))
    except DomainError as exc:
        rect = selectors.rectification_get(user=request.user, rectification_id=pk)
        return _rectification_page(request, rect, failed=action, errors=_errors(exc), status=exc.status_code)
    messages.success(request, done)
    return HttpResponseRedirect(reverse("ratings:rectification", args=[pk]))


@login_required
def appeal_list(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", AppealStatus.PENDING)
    page = selectors.appeals_page(
        user=request.user,
        before=_int(request.GET.get("before")),
        limit=PAGE,
        status=status if status != "all" else None,
    )
    return render(
        request,
        "ratings/appeals.html",
        {
            "rows": page.rows,
            "next_before": page.next_before,
            "status": status,
            "statuses": AppealStatus.choices,
        },
    )


@login_required
def appeal_detail(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        appeal = selectors.appeal_get(user=request.user, appeal_id=pk)
    except NotFound:
        return _missing(request, "申诉")
    errors: list[str] = []
    status = 200
    if request.method == "POST":
        decision = request.POST.get("decision")
        try:
            services.appeal_decide(
                appeal=appeal,
                actor=request.user,  # type: ignore[arg-type]
                uphold={"uphold": True, "reject": False}.get(decision or ""),  # type: ignore[arg-type]
                note=request.POST.get("note", ""),
            )
        except DomainError as exc:
            errors, status = _errors(exc), exc.status_code
            appeal = selectors.appeal_get(user=request.user, appeal_id=pk)
        else:
            messages.success(request, "审核结果已保存。")
            return HttpResponseRedirect(reverse("ratings:appeal", args=[pk]))
    return render(
        request,
        "ratings/appeal.html",
        {
            "appeal": appeal,
            "rating": appeal.rating,
            "comment": mask_text(appeal.rating.comment),
            "can_decide": appeal.status == AppealStatus.PENDING
            and is_supervisor_of(request.user, appeal.department_id),
            "form_errors": errors,
            "typed": request.POST if errors else {},
        },
        status=status,
    )

"""督办 and 代表结对监督 pages (/orders/): supervisors issue, track, send back and close orders, pair deputies
with items and follow the suggestions; departments respond to orders and answer suggestions with a plan;
deputies see their paired items and submit suggestions. Thin: parse, call one service or selector, render."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_POST

from onetrip.catalog.models import Item
from onetrip.core import clock
from onetrip.core.errors import DomainError, ErrorDetail, NotFound
from onetrip.orders import selectors, services
from onetrip.orders.models import ActivityKind, OrderStatus, OrderTarget, SuggestionStatus
from onetrip.orgs.models import Department, Role, User
from onetrip.orgs.permissions import has_role, scope_for

PAGE = 30


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except ValueError:
        return None


def _date(value: str | None, field: str) -> dt.date | None:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise DomainError.single("invalid_date", "日期格式应为 YYYY-MM-DD", "Use YYYY-MM-DD", field) from None


def _errors(exc: DomainError) -> list[str]:
    return [e.message_zh for e in exc.errors]


def _missing(request: HttpRequest, what: str) -> HttpResponse:
    return render(request, "orders/missing.html", {"what": what}, status=404)


def _only_supervisors(request: HttpRequest) -> HttpResponse:
    return render(request, "orders/forbidden.html", status=403)


def _item_by_code(code: str, field: str = "item_code") -> Item:
    item = Item.objects.filter(implementation_code=(code or "").strip()).first() if code else None
    if item is None:
        raise DomainError(ErrorDetail("not_found", "未找到该实施编码的事项", "No item with that code", field))
    return item


def _supervised_departments(user: Any) -> list[Department]:
    scope = scope_for(user, Role.SUPERVISOR)
    return list(
        scope.filter(Department.objects.filter(is_active=True), department_field="pk").order_by("name")
    )


# ---------------------------------------------------------------------------------------------- orders


@login_required
def order_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    status = request.GET.get("status", "open")
    overdue = request.GET.get("overdue") == "1"
    page = selectors.orders_page(
        user=user,
        before=_int(request.GET.get("before")),
        limit=PAGE,
        status=None if status == "all" else status,
        overdue=True if overdue else None,
    )
    return render(
        request,
        "orders/list.html",
        {
            "rows": page.rows,
            "next_before": page.next_before,
            "status": status,
            "overdue": overdue,
            "statuses": OrderStatus.choices,
            "is_supervisor": has_role(user, Role.SUPERVISOR),
            "is_deputy": has_role(user, Role.DEPUTY),
            "counts": selectors.counts_for(user),
            "now": clock.now(),
        },
    )


def _order_form(request: HttpRequest, *, errors: list[str] | None = None, status: int = 200) -> HttpResponse:
    return render(
        request,
        "orders/new.html",
        {
            "targets": OrderTarget.choices,
            "departments": _supervised_departments(request.user),
            "typed": request.POST if errors else request.GET,
            "form_errors": errors or [],
        },
        status=status,
    )


@login_required
def order_new(request: HttpRequest) -> HttpResponse:
    if not has_role(request.user, Role.SUPERVISOR):
        return _only_supervisors(request)
    if request.method != "POST":
        return _order_form(request)
    post = request.POST
    try:
        target = post.get("target", "")
        item_id = _item_by_code(post.get("item_code", "")).pk if target == OrderTarget.ITEM else None
        order = services.order_issue(
            issued_by=request.user,  # type: ignore[arg-type]
            target=target,
            title=post.get("title", ""),
            content=post.get("content", ""),
            due_date=_date(post.get("due_date"), "due_date"),
            working_days=_int(post.get("working_days")),
            case_number=post.get("case_number") if target == OrderTarget.CASE else None,
            department_id=_int(post.get("department_id")),
            item_id=item_id,
        )
    except DomainError as exc:
        return _order_form(request, errors=_errors(exc), status=exc.status_code)
    messages.success(request, "督办单已下达，责任部门负责人已收到通知。")
    return HttpResponseRedirect(reverse("orders:order", args=[order.pk]))


def _order_page(
    request: HttpRequest, order: Any, *, failed: str = "", errors: list[str] | None = None, status: int = 200
) -> HttpResponse:
    user = request.user
    return render(
        request,
        "orders/order.html",
        {
            "order": order,
            "can_respond": order.awaiting_response
            and selectors.is_department_staff(user, order.department_id),
            "can_review": order.status == OrderStatus.RESPONDED
            and selectors.is_supervisor_of(user, order.department_id),
            "failed": failed,
            "typed": request.POST if errors else {},
            "form_errors": errors or [],
        },
        status=status,
    )


@login_required
def order_detail(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        order = selectors.order_get(user=request.user, order_id=pk)
    except NotFound:
        return _missing(request, "督办单")
    return _order_page(request, order)


@login_required
@require_POST
def order_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    try:
        order = selectors.order_get(user=request.user, order_id=pk)
    except NotFound:
        return _missing(request, "督办单")
    post, user = request.POST, request.user
    try:
        if action == "respond":
            services.order_respond(order=order, actor=user, response=post.get("response", ""))  # type: ignore[arg-type]
            done = "已反馈，督办人已收到通知。"
        elif action == "send-back":
            services.order_send_back(
                order=order,
                actor=user,  # type: ignore[arg-type]
                note=post.get("note", ""),
                due_date=_date(post.get("due_date"), "due_date"),
            )
            done = "已退回责任部门重新办理。"
        elif action == "close":
            services.order_close(order=order, actor=user, note=post.get("note", ""))  # type: ignore[arg-type]
            done = "督办已办结。"
        else:
            return _missing(request, "操作")
    except DomainError as exc:
        order = selectors.order_get(user=user, order_id=pk)
        return _order_page(request, order, failed=action, errors=_errors(exc), status=exc.status_code)
    messages.success(request, done)
    return HttpResponseRedirect(reverse("orders:order", args=[pk]))


# -------------------------------------------------------------------------------------------- deputies


def _deputy_page(request: HttpRequest, *, errors: list[str] | None = None, status: int = 200) -> HttpResponse:
    user = request.user
    pairings = selectors.pairings_page(user=user, deputy_id=user.pk, limit=200).rows
    suggestions = selectors.suggestions_page(user=user, limit=PAGE).rows
    return render(
        request,
        "orders/deputy.html",
        {
            "pairings": pairings,
            "suggestions": [s for s in suggestions if s.deputy_id == user.pk],
            "activities": ActivityKind.choices,
            "today": selectors.local_date(clock.now()),
            "typed": request.POST if errors else {},
            "form_errors": errors or [],
        },
        status=status,
    )


@login_required
def deputy_home(request: HttpRequest) -> HttpResponse:
    """A deputy's paired items, their suggestions and the form to submit one after an activity."""
    if not has_role(request.user, Role.DEPUTY):
        return render(request, "orders/forbidden.html", {"who": "人大代表"}, status=403)
    if request.method != "POST":
        return _deputy_page(request)
    post = request.POST
    try:
        suggestion = services.suggestion_submit(
            deputy=request.user,  # type: ignore[arg-type]
            item_id=_int(post.get("item_id")) or 0,
            activity=post.get("activity", ""),
            activity_date=_date(post.get("activity_date"), "activity_date"),  # type: ignore[arg-type]
            content=post.get("content", ""),
        )
    except DomainError as exc:
        return _deputy_page(request, errors=_errors(exc), status=exc.status_code)
    messages.success(request, "意见建议已提交，已转交事项承办部门，7个工作日内提出整改方案。")
    return HttpResponseRedirect(reverse("orders:suggestion", args=[suggestion.pk]))


@login_required
def suggestion_list(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", SuggestionStatus.AWAITING_PLAN)
    overdue = request.GET.get("overdue") == "1"
    page = selectors.suggestions_page(
        user=request.user,
        before=_int(request.GET.get("before")),
        limit=PAGE,
        status=None if status == "all" else status,
        overdue=True if overdue else None,
    )
    return render(
        request,
        "orders/suggestions.html",
        {
            "rows": page.rows,
            "next_before": page.next_before,
            "status": status,
            "overdue": overdue,
            "statuses": SuggestionStatus.choices,
        },
    )


def _suggestion_page(
    request: HttpRequest, row: Any, *, failed: str = "", errors: list[str] | None = None, status: int = 200
) -> HttpResponse:
    user = request.user
    supervises = selectors.is_supervisor_of(user, row.department_id)
    return render(
        request,
        "orders/suggestion.html",
        {
            "s": row,
            "can_plan": row.status == SuggestionStatus.AWAITING_PLAN
            and selectors.is_department_staff(user, row.department_id),
            "can_send_back": row.status == SuggestionStatus.PLANNED and supervises,
            "can_close": row.status != SuggestionStatus.CLOSED
            and (supervises or (row.deputy_id == user.pk and row.status == SuggestionStatus.PLANNED)),
            "failed": failed,
            "typed": request.POST if errors else {},
            "form_errors": errors or [],
        },
        status=status,
    )


@login_required
def suggestion_detail(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        row = selectors.suggestion_get(user=request.user, suggestion_id=pk)
    except NotFound:
        return _missing(request, "意见建议")
    return _suggestion_page(request, row)


_SUGGESTION_ACTIONS = {
    "plan": (
        lambda row, user, post: services.suggestion_plan(
            suggestion=row, actor=user, plan=post.get("plan", "")
        ),
        "整改方案已提交。",
    ),
    "send-back": (
        lambda row, user, post: services.suggestion_send_back(
            suggestion=row, actor=user, note=post.get("note", "")
        ),
        "已退回重新整改，承办部门须在7个工作日内重新提出方案。",
    ),
    "close": (
        lambda row, user, post: services.suggestion_close(
            suggestion=row, actor=user, note=post.get("note", "")
        ),
        "已办结。",
    ),
}


@login_required
@require_POST
def suggestion_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    try:
        row = selectors.suggestion_get(user=request.user, suggestion_id=pk)
    except NotFound:
        return _missing(request, "意见建议")
    if action not in _SUGGESTION_ACTIONS:
        return _missing(request, "操作")
    run, done = _SUGGESTION_ACTIONS[action]
    try:
        run(row, request.user, request.POST)
    except DomainError as exc:
        row = selectors.suggestion_get(user=request.user, suggestion_id=pk)
        return _suggestion_page(request, row, failed=action, errors=_errors(exc), status=exc.status_code)
    messages.success(request, done)
    return HttpResponseRedirect(reverse("orders:suggestion", args=[pk]))


@login_required
def pairing_list(request: HttpRequest) -> HttpResponse:
    """Supervisors: the region's pairings, and the form to pair a deputy with an item."""
    user = request.user
    if not has_role(user, Role.SUPERVISOR):
        return _only_supervisors(request)
    errors: list[str] = []
    status = 200
    if request.method == "POST":
        try:
            deputy = User.objects.filter(pk=_int(request.POST.get("deputy_id")) or 0).first()
            if deputy is None:
                raise DomainError.single("required", "请选择人大代表", "Choose a deputy", "deputy_id")
            item = _item_by_code(request.POST.get("item_code", ""))
            services.pairing_create(deputy=deputy, item=item, actor=user)  # type: ignore[arg-type]
        except DomainError as exc:
            errors, status = _errors(exc), exc.status_code
        else:
            messages.success(request, f"已结对：{deputy} · {item.name}")
            return HttpResponseRedirect(reverse("orders:pairings"))
    page = selectors.pairings_page(user=user, before=_int(request.GET.get("before")), limit=PAGE)
    return render(
        request,
        "orders/pairings.html",
        {
            "rows": page.rows,
            "next_before": page.next_before,
            "deputies": selectors.deputy_users(),
            "typed": request.POST if errors else {},
            "form_errors": errors,
        },
        status=status,
    )


@login_required
@require_POST
def pairing_end_view(request: HttpRequest, pk: int) -> HttpResponse:
    pairing = selectors.pairings_visible(request.user).filter(pk=pk).first()
    if pairing is None:
        return _missing(request, "结对")
    try:
        services.pairing_end(pairing=pairing, actor=request.user)  # type: ignore[arg-type]
    except DomainError as exc:
        messages.error(request, "；".join(_errors(exc)))
    else:
        messages.success(request, "结对已解除。")
    return HttpResponseRedirect(reverse("orders:pairings"))

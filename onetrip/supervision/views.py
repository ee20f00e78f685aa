"""Supervision pages (/supervision/): the warning board, accountability counts with their drill-down, and the
alert rules. Thin: parse the query or form, call one selector or service, render."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, QueryDict
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from onetrip.catalog.models import Item
from onetrip.core import clock
from onetrip.core.errors import DomainError, ErrorDetail, Forbidden
from onetrip.orgs.permissions import STAFF_ROLES, roles_of
from onetrip.supervision import selectors, services
from onetrip.supervision.models import DEFAULT_REMINDER_TIMES, AlertRule

LEVELS = [("", "全部"), ("yellow", "预警"), ("red", "超期")]


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value else None
    except ValueError:
        return None


def _date(value: str | None) -> dt.date | None:
    """A date from the query, or None (the default period) for one that is invalid or outside 1900–2999,
    where the period's arithmetic would overflow."""
    try:
        day = dt.date.fromisoformat(value) if value else None
    except ValueError:
        return None
    return day if day is None or 1900 <= day.year <= 2999 else None


def _forbidden(request: HttpRequest, exc: DomainError) -> HttpResponse:
    return render(
        request, "supervision/forbidden.html", {"message": exc.errors[0].message_zh}, status=exc.status_code
    )


@require_GET
@login_required
def board(request: HttpRequest) -> HttpResponse:
    level = request.GET.get("level", "")
    department_id = _int(request.GET.get("department"))
    try:
        page = selectors.board(
            user=request.user,  # type: ignore[arg-type]
            now=clock.now(),
            level=level,
            department_id=department_id,
            after=selectors.parse_after(request.GET.get("after")),
        )
        departments = selectors.board_departments(request.user)  # type: ignore[arg-type]
    except Forbidden as exc:
        return _forbidden(request, exc)
    query = QueryDict(mutable=True)
    if level:
        query["level"] = level
    if department_id:
        query["department"] = str(department_id)
    return render(
        request,
        "supervision/board.html",
        {
            "page": page,
            "levels": LEVELS,
            "level": level,
            "department_id": department_id,
            "departments": departments,
            "filters": query.urlencode(),
        },
    )


def _period(request: HttpRequest) -> tuple[dt.date, dt.date, list[str]]:
    default_start, default_end = selectors.default_period(clock.now())
    start = _date(request.GET.get("start")) or default_start
    end = _date(request.GET.get("end")) or default_end
    errors = []
    if end < start:
        errors.append("结束日期不能早于开始日期，已改为显示开始日期当天")
        end = start
    if (end - start).days > 366:
        errors.append("统计期最长一年，已截至开始日期后一年")
        end = start + dt.timedelta(days=366)
    return start, end, errors


def _quick_periods(now: dt.datetime) -> list[tuple[str, dt.date, dt.date]]:
    today = selectors.default_period(now)[1]
    quarter = dt.date(today.year, (today.month - 1) // 3 * 3 + 1, 1)
    return [
        ("本月", today.replace(day=1), today),
        ("本季度", quarter, today),
        ("本年", today.replace(month=1, day=1), today),
    ]


@require_GET
@login_required
def accountability(request: HttpRequest) -> HttpResponse:
    start, end, errors = _period(request)
    try:
        result = selectors.accountability(user=request.user, start=start, end=end)  # type: ignore[arg-type]
    except Forbidden as exc:
        return _forbidden(request, exc)
    for error in errors:
        messages.warning(request, error)
    return render(
        request,
        "supervision/accountability.html",
        {"result": result, "quick": _quick_periods(clock.now())},
    )


@require_GET
@login_required
def overdue_list(request: HttpRequest) -> HttpResponse:
    start, end, _ = _period(request)
    department_id = _int(request.GET.get("department"))
    person_id = _int(request.GET.get("person"))
    try:
        rows, next_after = selectors.overdue_records(
            user=request.user,  # type: ignore[arg-type]
            start=start,
            end=end,
            department_id=department_id,
            person_id=person_id,
            after=selectors.parse_after(request.GET.get("after")),
        )
    except Forbidden as exc:
        return _forbidden(request, exc)
    query = QueryDict(mutable=True)
    query.update({"start": start.isoformat(), "end": end.isoformat()})
    if department_id:
        query["department"] = str(department_id)
    if person_id:
        query["person"] = str(person_id)
    return render(
        request,
        "supervision/overdue_list.html",
        {"rows": rows, "next_after": next_after, "filters": query.urlencode(), "start": start, "end": end},
    )


# ------------------------------------------------------------------------------------------ rules


def _rule_input(post: QueryDict) -> services.RuleInput:
    def number(name: str) -> Any:
        value = post.get(name, "").strip()
        if not value:
            return None
        try:
            return int(value)
        except ValueError:
            return value  # the service reports it as not a positive integer

    return services.RuleInput(
        warn_after_days=number("warn_after_days"),
        overdue_after_days=number("overdue_after_days"),
        remind_from_days=number("remind_from_days"),
        reminder_times=post.get("reminder_times", ""),
        remind_leader=post.get("remind_leader") == "on",
        accountability_threshold=number("accountability_threshold"),
        note=post.get("note", ""),
    )


def _item_from(post: QueryDict) -> Item | None:
    code = post.get("item", "").strip()
    if not code:
        raise DomainError(
            ErrorDetail(
                "item_required", "请填写事项实施编码", "The item's implementation code is required", "item"
            )
        )
    item = Item.objects.filter(implementation_code=code).first()
    if item is None:
        raise DomainError(
            ErrorDetail("unknown_item", f"未找到实施编码为“{code}”的事项", "Unknown item", "item")
        )
    return item


def _rules_page(
    request: HttpRequest,
    *,
    editing: AlertRule | None = None,
    errors: DomainError | None = None,
    status: int = 200,
) -> HttpResponse:
    user = request.user
    if not roles_of(user) & STAFF_ROLES:
        return render(
            request, "supervision/forbidden.html", {"message": "仅工作人员可查看预警规则"}, status=403
        )
    rules = selectors.rules_list()
    return render(
        request,
        "supervision/rules.html",
        {
            "rules": [(r, services.can_manage_rules(user, r.item)) for r in rules],  # type: ignore[arg-type]
            "editing": editing,
            "typed": request.POST if errors else None,
            "form_errors": [e.message_zh for e in errors.errors] if errors else [],
            "default_times": DEFAULT_REMINDER_TIMES,
        },
        status=status,
    )


@require_http_methods(["GET", "POST"])
@login_required
def rules(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        return _rules_page(request)
    try:
        item = _item_from(request.POST)
        services.alert_rule_create(
            actor=request.user,  # type: ignore[arg-type]
            item=item,
            data=_rule_input(request.POST),
            now=clock.now(),
        )
    except DomainError as exc:
        return _rules_page(request, errors=exc, status=exc.status_code)
    messages.success(request, "已新增事项预警规则，该事项的在办任务将按新规则重新计算")
    return HttpResponseRedirect(reverse("supervision:rules"))


@require_http_methods(["GET", "POST"])
@login_required
def rule_edit(request: HttpRequest, rule_id: int) -> HttpResponse:
    rule = selectors.rule_get(rule_id)
    if rule is None:
        return render(request, "supervision/forbidden.html", {"message": "预警规则不存在"}, status=404)
    if request.method == "GET":
        return _rules_page(request, editing=rule)
    try:
        services.alert_rule_update(
            actor=request.user,  # type: ignore[arg-type]
            rule=rule,
            data=_rule_input(request.POST),
            now=clock.now(),
        )
    except DomainError as exc:
        return _rules_page(request, editing=rule, errors=exc, status=exc.status_code)
    messages.success(request, "已保存预警规则，相关在办任务将按新规则重新计算")
    return HttpResponseRedirect(reverse("supervision:rules"))


@require_POST
@login_required
def rule_delete(request: HttpRequest, rule_id: int) -> HttpResponse:
    rule = selectors.rule_get(rule_id)
    if rule is None:
        return render(request, "supervision/forbidden.html", {"message": "预警规则不存在"}, status=404)
    try:
        services.alert_rule_delete(actor=request.user, rule=rule, now=clock.now())  # type: ignore[arg-type]
    except DomainError as exc:
        return _rules_page(request, errors=exc, status=exc.status_code)
    messages.success(request, "已删除事项预警规则，该事项改按全局默认规则监管")
    return HttpResponseRedirect(reverse("supervision:rules"))

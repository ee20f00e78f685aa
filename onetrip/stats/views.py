"""Statistics pages (/stats/): the dashboard, the drill-down case list and the xlsx export. Thin: parse the
filters, call the selectors, render. Supervisors and leaders only (403 for everyone else)."""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from onetrip.core import clock
from onetrip.core.errors import DomainError, Forbidden
from onetrip.stats import present, selectors
from onetrip.stats.excel import dashboard_workbook
from onetrip.workdays.core import SHANGHAI

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def today() -> dt.date:
    return clock.now().astimezone(SHANGHAI).date()


def _filter(request: HttpRequest, access: selectors.StatsAccess) -> selectors.StatsFilter:
    g = request.GET
    return selectors.stats_filter(
        access=access,
        today=today(),
        date_from=g.get("from"),
        date_to=g.get("to"),
        region=g.get("region") or None,
        department=g.get("department") or None,
        item=g.get("item") or None,
        bundle=g.get("bundle") or None,
    )


def _refused(request: HttpRequest, exc: DomainError) -> HttpResponse:
    return render(
        request,
        "stats/message.html",
        {"title": "无权查看统计", "messages_zh": [e.message_zh for e in exc.errors]},
        status=exc.status_code,
    )


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    try:
        access = selectors.stats_access(request.user)
    except Forbidden as exc:
        return _refused(request, exc)
    context: dict[str, Any] = {
        "regions": selectors.region_choices(access),
        "departments": selectors.department_choices(access),
        "bundles": selectors.bundle_choices(),
        "values": request.GET.dict(),
    }
    try:
        f = _filter(request, access)
    except Forbidden as exc:
        return _refused(request, exc)
    except DomainError as exc:
        context["errors"] = [e.message_zh for e in exc.errors]
        return render(request, "stats/dashboard.html", context, status=exc.status_code)
    board = selectors.dashboard(access=access, f=f, today=today())
    context.update(
        board=board,
        f=f,
        values=f.query(),
        groups=present.cards(board),
        charts=present.chart_data(board),
        query=urlencode(f.query()),
        clear_query=urlencode({k: v for k, v in f.query().items() if k not in ("item", "bundle")}),
        definitions=selectors.FIGURES,
    )
    return render(request, "stats/dashboard.html", context)


@login_required
def export(request: HttpRequest) -> HttpResponse:
    try:
        access = selectors.stats_access(request.user)
        f = _filter(request, access)
    except Forbidden as exc:
        return _refused(request, exc)
    except DomainError as exc:
        return render(
            request,
            "stats/message.html",
            {"title": "无法导出", "messages_zh": [e.message_zh for e in exc.errors]},
            status=exc.status_code,
        )
    board = selectors.dashboard(access=access, f=f, today=today())
    response = HttpResponse(dashboard_workbook(board), content_type=XLSX)
    name = f"stats-{f.date_from:%Y%m%d}-{f.date_to:%Y%m%d}.xlsx"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@login_required
def cases(request: HttpRequest) -> HttpResponse:
    try:
        access = selectors.stats_access(request.user)
    except Forbidden as exc:
        return _refused(request, exc)
    figure = request.GET.get("figure") or "accepted"
    try:
        f = _filter(request, access)
        after = selectors.parse_after(request.GET.get("after"))
        page = selectors.case_page(access=access, f=f, figure=figure, after=after)
    except Forbidden as exc:
        return _refused(request, exc)
    except DomainError as exc:
        return render(
            request,
            "stats/message.html",
            {"title": "查询条件有误", "messages_zh": [e.message_zh for e in exc.errors]},
            status=exc.status_code,
        )
    return render(
        request,
        "stats/cases.html",
        {
            "f": f,
            "figure": figure,
            "figure_label": selectors.CASE_FIGURES[figure],
            "figures": selectors.CASE_FIGURES,
            "page": page,
            "query": urlencode(f.query(figure=figure)),
            "next_query": urlencode(f.query(figure=figure, after=page.next_after)) if page.next_after else "",
            "back": urlencode(f.query()),
        },
    )

"""统计分析 API, mounted at /api/v1/stats. Supervisors (their region) and leaders (their departments) only.

- GET /stats/dashboard     every figure, the trend, the department ranking (问责 marks), regions, top items
- GET /stats/cases         the cases behind a figure (keyset pages: pass `after` from `next_after`)
- GET /stats/export.xlsx   the dashboard as a workbook

Filters (all optional): from, to (YYYY-MM-DD; default the last 12 months), region (12-digit code),
department, item, bundle (ids). Rates are strings with two decimals; undefined figures are null.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Field, Query, Router, Schema

from onetrip.core import clock
from onetrip.orgs.auth import ScopedSessionAuth, request_user
from onetrip.stats import present, selectors
from onetrip.stats.excel import dashboard_workbook
from onetrip.workdays.core import SHANGHAI

router = Router(tags=["统计分析"])
SESSION = ScopedSessionAuth()
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class StatsQuery(Schema):
    date_from: str | None = Field(None, alias="from", description="开始日期 YYYY-MM-DD")
    date_to: str | None = Field(None, alias="to", description="结束日期 YYYY-MM-DD")
    region: str | None = Field(None, description="区划代码（含下级）")
    department: int | None = None
    item: int | None = None
    bundle: int | None = None


class CasesQuery(StatsQuery):
    figure: str = Field("accepted", description="accepted / completed / on_time / late / rejected / refused")
    after: str | None = Field(None, description="上一页返回的 next_after")
    limit: int = Field(selectors.PAGE, ge=1, le=selectors.MAX_PAGE)


def _today() -> dt.date:
    return clock.now().astimezone(SHANGHAI).date()


def _resolve(request: HttpRequest, q: StatsQuery) -> tuple[selectors.StatsAccess, selectors.StatsFilter]:
    access = selectors.stats_access(request_user(request))
    f = selectors.stats_filter(
        access=access,
        today=_today(),
        date_from=q.date_from,
        date_to=q.date_to,
        region=q.region,
        department=q.department,
        item=q.item,
        bundle=q.bundle,
    )
    return access, f


@router.get("/dashboard", auth=SESSION)
def dashboard(request: HttpRequest, q: Query[StatsQuery]) -> dict[str, Any]:
    access, f = _resolve(request, q)
    return present.dashboard_json(selectors.dashboard(access=access, f=f, today=_today()))


@router.get("/cases", auth=SESSION)
def cases(request: HttpRequest, q: Query[CasesQuery]) -> dict[str, Any]:
    access, f = _resolve(request, q)
    page = selectors.case_page(
        access=access, f=f, figure=q.figure, after=selectors.parse_after(q.after), limit=q.limit
    )
    return {
        "filter": present.filter_json(f),
        "figure": q.figure,
        "cases": [
            {
                "id": c.pk,
                "number": c.number,
                "title": c.title,
                "applicant": c.applicant,
                "department": c.department,
                "channel": c.channel,
                "status": c.status,
                "submitted_at": c.submitted_at.isoformat(),
                "accepted_at": c.accepted_at.isoformat() if c.accepted_at else None,
                "promised_due_at": c.promised_due_at.isoformat() if c.promised_due_at else None,
                "completed_at": c.completed_at.isoformat() if c.completed_at else None,
                "trips": c.trips,
                "on_time": c.on_time,
            }
            for c in page.rows
        ],
        "next_after": page.next_after,
    }


@router.get("/export.xlsx", auth=SESSION)
def export(request: HttpRequest, q: Query[StatsQuery]) -> HttpResponse:
    access, f = _resolve(request, q)
    response = HttpResponse(
        dashboard_workbook(selectors.dashboard(access=access, f=f, today=_today())), content_type=XLSX
    )
    response["Content-Disposition"] = (
        f'attachment; filename="stats-{f.date_from:%Y%m%d}-{f.date_to:%Y%m%d}.xlsx"'
    )
    return response

"""Public read endpoints for deadline arithmetic (no personal data): /api/v1/workdays/add and /between."""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest
from ninja import Router, Schema

from onetrip.workdays.core import SHANGHAI
from onetrip.workdays.selectors import calendar_add, calendar_between

router = Router(tags=["工作日历"])


class AddOut(Schema):
    date: dt.date
    deadline: dt.datetime
    accepted_on: dt.date | None
    provisional: bool
    missing_years: list[int]


class BetweenOut(Schema):
    working_days: int
    provisional: bool
    missing_years: list[int]


@router.get("/add", response=AddOut, summary="推算期限：起算日加 N 个工作日/自然日/工作小时")
def add(request: HttpRequest, start: str, n: int, unit: str = "working", same_day: bool = False) -> AddOut:
    """`start`: 2026-10-01 (acceptance date) or an ISO datetime with offset; `unit`: working|natural|hours.
    `deadline` is the close of office hours on the last day (Beijing time), or the exact instant for hours."""
    answer = calendar_add(start=start, n=n, unit=unit, same_day=same_day)
    return AddOut(
        date=answer.date,
        deadline=answer.deadline.astimezone(SHANGHAI),
        accepted_on=answer.accepted_on,
        provisional=answer.provisional,
        missing_years=list(answer.missing_years),
    )


@router.get("/between", response=BetweenOut, summary="两日期之间的工作日数（不含起点，含终点）")
def between(request: HttpRequest, start: str, end: str) -> BetweenOut:
    value, provisional, missing = calendar_between(start=start, end=end)
    return BetweenOut(working_days=value, provisional=provisional, missing_years=list(missing))

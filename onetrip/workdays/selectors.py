"""Reads: the current Calendar (cached per process), deadline arithmetic for the API and CLI, missing years.

The Calendar is built from the database once per process and rebuilt when the calendar data changes: a call
compares a version stamp (number of years, highest id, latest load time: one indexed aggregate over a few
dozen rows) with the cached one — at most once per second per process (STAMP_CHECK_INTERVAL_S), so a year
loaded by another process is seen within a second. That is the accepted trade-off: a deadline computed in
that second may miss a calendar loaded a moment before; calendars are loaded weeks before the year starts.
Within this process a change is seen at once: saving or deleting a CalendarYear drops the cache, and until a
stamp check made outside any transaction (so after the changing transaction ended, committed or rolled back)
every call checks the stamp again. Bulk recomputations should take `calendar_current()` once and reuse it.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models import Count, Max
from django.db.models.signals import post_delete, post_save

from onetrip.core.errors import DomainError, ErrorDetail
from onetrip.workdays.core import (
    SHANGHAI,
    Calendar,
    CalendarError,
    OfficeHours,
    Unit,
    YearArrangement,
    check_count,
    parse_unit,
    parse_when,
)
from onetrip.workdays.models import CalendarYear, SpecialDay, SpecialDayKind

STAMP_CHECK_INTERVAL_S = 1.0

_lock = threading.Lock()
_cached: tuple[tuple[Any, ...], Calendar] | None = None
_checked_at = 0.0  # time.monotonic() of the last stamp check
_unsettled = False  # calendar rows changed here in a transaction that may not have ended yet


def domain_error(*errors: CalendarError) -> DomainError:
    """The pure core's errors as the platform's DomainError."""
    return DomainError(*(ErrorDetail(e.code, e.message_zh, e.message_en, e.field) for e in errors))


def office_hours_from_settings() -> OfficeHours:
    """settings.WORKDAYS_OFFICE_HOURS = {"periods": [["09:00", "12:00"], ...], "cutoff": "17:00"} (optional)."""
    conf = getattr(settings, "WORKDAYS_OFFICE_HOURS", None)
    if not conf:
        return OfficeHours()
    periods = tuple((dt.time.fromisoformat(s), dt.time.fromisoformat(e)) for s, e in conf["periods"])
    cutoff = conf.get("cutoff")
    return OfficeHours(periods, dt.time.fromisoformat(cutoff) if cutoff else None)


def _stamp() -> tuple[Any, ...]:
    agg = CalendarYear.objects.aggregate(n=Count("id"), top=Max("id"), last=Max("loaded_at"))
    return (agg["n"], agg["top"], agg["last"])


def _build() -> Calendar:
    holidays: dict[int, dict[dt.date, str]] = defaultdict(dict)
    adjusted: dict[int, dict[dt.date, str]] = defaultdict(dict)
    rows = SpecialDay.objects.values_list("calendar_year__year", "date", "kind", "name")
    for year, day, kind, name in rows.iterator(chunk_size=2000):
        (holidays if kind == SpecialDayKind.HOLIDAY else adjusted)[year][day] = name
    years = CalendarYear.objects.values_list("year", flat=True)
    return Calendar(
        [YearArrangement(y, holidays[y], adjusted[y]) for y in years],
        office_hours_from_settings(),
    )


def calendar_current() -> Calendar:
    global _cached, _checked_at, _unsettled
    cached = _cached
    now = time.monotonic()
    if cached is not None and not _unsettled and now - _checked_at < STAMP_CHECK_INTERVAL_S:
        return cached[1]
    stamp = _stamp()
    _checked_at = now
    if _unsettled and not connection.in_atomic_block:
        _unsettled = False
    if cached is not None and cached[0] == stamp:
        return cached[1]
    with _lock:
        calendar = _build()
        _cached = (stamp, calendar)
    return calendar


def calendar_cache_clear() -> None:
    global _cached
    _cached = None


def _calendar_changed(**kwargs: Any) -> None:
    global _unsettled
    _unsettled = True
    calendar_cache_clear()


post_save.connect(_calendar_changed, sender=CalendarYear, dispatch_uid="workdays_calendar_saved")
post_delete.connect(_calendar_changed, sender=CalendarYear, dispatch_uid="workdays_calendar_deleted")


def missing_calendar_years(today: dt.date) -> list[int]:
    """The current and next year when their arrangement is not loaded (supervision shows these)."""
    wanted = [today.year, today.year + 1]
    loaded = set(CalendarYear.objects.filter(year__in=wanted).values_list("year", flat=True))
    return [y for y in wanted if y not in loaded]


@dataclass(frozen=True)
class AddAnswer:
    date: dt.date
    deadline: dt.datetime  # UTC: the close of office hours on `date`, or the exact instant for hours
    accepted_on: dt.date | None  # the deemed acceptance day, when an instant was given
    provisional: bool
    missing_years: tuple[int, ...]


def calendar_add(*, start: str, n: int, unit: str = "working", same_day: bool = False) -> AddAnswer:
    """`start` is a date (the acceptance date) or an aware ISO datetime (cut-off and office hours apply)."""
    try:
        when = parse_when(start, "start")
        check_count(n, "n")
        the_unit = parse_unit(unit)
        calendar = calendar_current()
        if isinstance(when, dt.datetime):
            result = calendar.add(when, n, the_unit, same_day=same_day)
            accepted = calendar.accepted_on(when)
            return AddAnswer(
                result.local.date(), result.at, accepted, result.provisional, result.missing_years
            )
        day = calendar.add_days(when, n, the_unit, same_day=same_day)
        if the_unit is Unit.HOURS:
            at = calendar.add(dt.datetime.combine(when, dt.time(0), SHANGHAI), n, the_unit).at
        else:
            at = calendar.close_of(day.date)
        return AddAnswer(day.date, at, None, day.provisional, day.missing_years)
    except CalendarError as exc:
        raise domain_error(exc) from None


def calendar_between(*, start: str, end: str) -> tuple[int, bool, tuple[int, ...]]:
    """Signed number of working days in (start, end] by local date; with the provisional flag."""
    try:
        a = parse_when(start, "start")
        b = parse_when(end, "end")
        calendar = calendar_current()
        da = a.astimezone(SHANGHAI).date() if isinstance(a, dt.datetime) else a
        db = b.astimezone(SHANGHAI).date() if isinstance(b, dt.datetime) else b
        result = calendar.working_days_between(da, db)
    except CalendarError as exc:
        raise domain_error(exc) from None
    return result.value, result.provisional, result.missing_years


@dataclass(frozen=True)
class YearOverview:
    year: int
    loaded: CalendarYear | None
    holidays: list[tuple[str, dt.date, dt.date]]  # festival, first day, last day (consecutive runs)
    adjusted_workdays: list[tuple[dt.date, str]]


def calendar_year_overview(year: int) -> YearOverview:
    loaded = CalendarYear.objects.filter(year=year).first()
    holidays: list[tuple[str, dt.date, dt.date]] = []
    adjusted: list[tuple[dt.date, str]] = []
    if loaded is not None:
        for day in loaded.special_days.order_by("date"):
            if day.kind == SpecialDayKind.ADJUSTED_WORKDAY:
                adjusted.append((day.date, day.name))
            elif holidays and holidays[-1][0] == day.name and holidays[-1][2] + dt.timedelta(1) == day.date:
                holidays[-1] = (day.name, holidays[-1][1], day.date)
            else:
                holidays.append((day.name, day.date, day.date))
    return YearOverview(year, loaded, holidays, adjusted)

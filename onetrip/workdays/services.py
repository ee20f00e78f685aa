"""Writes: loading a year's arrangement (from a file or the chinese-calendar package). All or nothing."""

from __future__ import annotations

from django.db import transaction

from onetrip.core import clock
from onetrip.core.errors import Conflict, ErrorDetail
from onetrip.workdays.arrangement import ArrangementError, parse_arrangement
from onetrip.workdays.core import YearArrangement
from onetrip.workdays.models import CalendarSource, CalendarYear, SpecialDay, SpecialDayKind
from onetrip.workdays.package import PACKAGE_NOTICE, package_arrangements
from onetrip.workdays.selectors import calendar_cache_clear, domain_error


def _store(
    *, arrangement: YearArrangement, source: CalendarSource, notice: str, replace: bool
) -> CalendarYear:
    existing = CalendarYear.objects.select_for_update().filter(year=arrangement.year).first()
    if existing is not None:
        if not replace:
            raise Conflict(
                ErrorDetail(
                    "year_already_loaded",
                    f"{arrangement.year}年日历已载入；如需替换，请使用 --replace（或勾选“替换”）",
                    f"The {arrangement.year} calendar is already loaded; use --replace to replace it",
                    "year",
                )
            )
        existing.delete()
    year = CalendarYear.objects.create(
        year=arrangement.year, source=source, notice=notice, loaded_at=clock.now()
    )
    days = [
        SpecialDay(calendar_year=year, date=d, kind=SpecialDayKind.HOLIDAY, name=n)
        for d, n in arrangement.holidays.items()
    ] + [
        SpecialDay(calendar_year=year, date=d, kind=SpecialDayKind.ADJUSTED_WORKDAY, name=n)
        for d, n in arrangement.adjusted_workdays.items()
    ]
    SpecialDay.objects.bulk_create(days)
    transaction.on_commit(calendar_cache_clear)
    return year


def calendar_year_load(*, content: bytes | str, replace: bool = False) -> CalendarYear:
    """Load one year's State Council arrangement from a TOML file (see onetrip.workdays.arrangement)."""
    try:
        parsed = parse_arrangement(content)
    except ArrangementError as exc:
        raise domain_error(*exc.errors) from None
    with transaction.atomic():
        return _store(
            arrangement=parsed.arrangement, source=CalendarSource.FILE, notice=parsed.notice, replace=replace
        )


def calendar_seed_package() -> list[int]:
    """Load every year the chinese-calendar package knows and the database does not; returns those years."""
    with transaction.atomic():
        loaded = set(CalendarYear.objects.values_list("year", flat=True))
        added = []
        for arrangement in package_arrangements():
            if arrangement.year not in loaded:
                _store(
                    arrangement=arrangement,
                    source=CalendarSource.PACKAGE,
                    notice=PACKAGE_NOTICE,
                    replace=False,
                )
                added.append(arrangement.year)
    return added

"""The official arrangements 2004–2026 as shipped by the `chinese-calendar` package, as YearArrangements."""

from __future__ import annotations

import datetime as dt

import chinese_calendar  # type: ignore[import-untyped]

from onetrip.workdays.core import YearArrangement

PACKAGE_NOTICE = "chinese-calendar 软件包（国务院办公厅历年节假日安排通知）"


def _chinese_names() -> dict[str, str]:
    return {h.value: h.chinese for h in chinese_calendar.Holiday}


def package_years() -> list[int]:
    """The years the installed package has data for (it raises NotImplementedError beyond them)."""
    days: set[dt.date] = set(chinese_calendar.holidays) | set(chinese_calendar.workdays)
    return sorted({d.year for d in days})


def package_arrangements() -> list[YearArrangement]:
    names = _chinese_names()
    by_year: dict[int, tuple[dict[dt.date, str], dict[dt.date, str]]] = {y: ({}, {}) for y in package_years()}
    for day, name in chinese_calendar.holidays.items():
        by_year[day.year][0][day] = names.get(name, name)
    for day, name in chinese_calendar.workdays.items():
        by_year[day.year][1][day] = names.get(name, name)
    return [YearArrangement(year, h, w) for year, (h, w) in sorted(by_year.items())]

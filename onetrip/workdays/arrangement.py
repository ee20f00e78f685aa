"""Parse and check a State Council holiday arrangement file (TOML); plain Python, no Django.

The file holds one year::

    year = 2027
    notice = "国办发明电〔2026〕N号"

    [[holidays]]            # one entry per festival; `end` may be left out for a single day
    name = "春节"
    start = 2027-02-05
    end = 2027-02-13

    [[adjusted_workdays]]   # 调休上班: always a Saturday or Sunday
    name = "春节"
    date = 2027-02-14

Every problem is reported at once (each a CalendarError with a field such as ``holidays[2].end``); a file
with any problem yields no arrangement at all.
"""

from __future__ import annotations

import datetime as dt
import tomllib
from dataclasses import dataclass
from typing import Any

from onetrip.workdays.core import INDEX_FIRST_YEAR, INDEX_LAST_YEAR, CalendarError, YearArrangement

_TOP_KEYS = {"year", "notice", "holidays", "adjusted_workdays"}
_HOLIDAY_KEYS = {"name", "start", "end"}
_ADJUSTED_KEYS = {"name", "date"}


class ArrangementError(Exception):
    def __init__(self, errors: list[CalendarError]) -> None:
        self.errors = errors
        super().__init__("; ".join(str(e) for e in errors))


@dataclass(frozen=True)
class ParsedArrangement:
    arrangement: YearArrangement
    notice: str


def _err(code: str, zh: str, en: str, field: str) -> CalendarError:
    return CalendarError(code, zh, en, field)


def _unknown_keys(table: dict[str, Any], allowed: set[str], where: str, errors: list[CalendarError]) -> None:
    for key in sorted(set(table) - allowed):
        errors.append(_err("unknown_key", f"无法识别的项“{key}”", f"Unknown key '{key}'", f"{where}{key}"))


def _date(value: Any, field: str, errors: list[CalendarError]) -> dt.date | None:
    if type(value) is dt.date:
        return value
    errors.append(
        _err("invalid_date", "需要日期（例如 2027-01-01）", "A date is required (e.g. 2027-01-01)", field)
    )
    return None


def _name(value: Any, field: str, errors: list[CalendarError]) -> str:
    if isinstance(value, str) and value.strip():
        return value.strip()
    errors.append(_err("missing_name", "需要节日名称", "A festival name is required", field))
    return ""


def _entries(data: dict[str, Any], key: str, errors: list[CalendarError]) -> list[dict[str, Any]]:
    value = data.get(key, [])
    if isinstance(value, list) and all(isinstance(v, dict) for v in value):
        return value
    errors.append(_err("invalid_list", f"“{key}”必须是表数组", f"'{key}' must be an array of tables", key))
    return []


def parse_arrangement(content: bytes | str) -> ParsedArrangement:
    """Parse a TOML arrangement and check it; raises ArrangementError listing every problem."""
    try:
        text = content.decode("utf-8") if isinstance(content, bytes) else content
        data = tomllib.loads(text)
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ArrangementError(
            [
                _err(
                    "invalid_file",
                    f"文件不是有效的 UTF-8 TOML：{exc}",
                    f"Not a valid UTF-8 TOML file: {exc}",
                    "file",
                )
            ]
        ) from None

    errors: list[CalendarError] = []
    _unknown_keys(data, _TOP_KEYS, "", errors)
    year = data.get("year")
    if type(year) is not int or not INDEX_FIRST_YEAR <= year <= INDEX_LAST_YEAR:
        errors.append(
            _err(
                "invalid_year",
                f"年份必须是 {INDEX_FIRST_YEAR}—{INDEX_LAST_YEAR} 之间的整数",
                f"The year must be an integer between {INDEX_FIRST_YEAR} and {INDEX_LAST_YEAR}",
                "year",
            )
        )
        year = None
    notice = data.get("notice")
    if not isinstance(notice, str) or not notice.strip():
        errors.append(_err("missing_notice", "需要通知文号", "The notice reference is required", "notice"))
        notice = ""

    seen: dict[dt.date, str] = {}

    def claim(day: dt.date, field: str) -> bool:
        if day in seen:
            errors.append(
                _err(
                    "duplicate_day",
                    f"{day.isoformat()} 重复列出（已见于 {seen[day]}）",
                    f"{day.isoformat()} is listed twice (also in {seen[day]})",
                    field,
                )
            )
            return False
        seen[day] = field
        return True

    holidays: dict[dt.date, str] = {}
    holiday_entries = _entries(data, "holidays", errors)
    if not holiday_entries and isinstance(data.get("holidays", []), list):
        errors.append(_err("no_holidays", "文件没有列出放假安排", "The file lists no holidays", "holidays"))
    for i, entry in enumerate(holiday_entries):
        where = f"holidays[{i}]."
        _unknown_keys(entry, _HOLIDAY_KEYS, where, errors)
        name = _name(entry.get("name"), where + "name", errors)
        start = _date(entry.get("start"), where + "start", errors)
        end = _date(entry.get("end", entry.get("start")), where + "end", errors)
        if start is None or end is None:
            continue
        if end < start:
            errors.append(
                _err(
                    "range_reversed",
                    "结束日期早于开始日期",
                    "The end date is before the start date",
                    where + "end",
                )
            )
            continue
        day = start
        while day <= end:
            if year is not None and day.year != year:
                errors.append(
                    _err(
                        "holiday_outside_year",
                        f"放假日期 {day.isoformat()} 不在 {year} 年内",
                        f"Holiday {day.isoformat()} is outside {year}",
                        where + ("start" if day == start else "end"),
                    )
                )
                break
            if claim(day, f"holidays[{i}]"):
                holidays[day] = name
            day += dt.timedelta(days=1)

    adjusted: dict[dt.date, str] = {}
    for i, entry in enumerate(_entries(data, "adjusted_workdays", errors)):
        where = f"adjusted_workdays[{i}]."
        _unknown_keys(entry, _ADJUSTED_KEYS, where, errors)
        name = _name(entry.get("name"), where + "name", errors)
        day_or_none = _date(entry.get("date"), where + "date", errors)
        if day_or_none is None:
            continue
        day = day_or_none
        if year is not None and day.year != year:
            errors.append(
                _err(
                    "adjusted_workday_outside_year",
                    f"调休上班日 {day.isoformat()} 不在 {year} 年内",
                    f"Adjusted working day {day.isoformat()} is outside {year}",
                    where + "date",
                )
            )
            continue
        if day.weekday() < 5:
            errors.append(
                _err(
                    "adjusted_workday_on_weekday",
                    f"{day.isoformat()} 是周一至周五，本就是工作日，不能列为调休上班日",
                    f"{day.isoformat()} is a weekday (Mon-Fri) and cannot be an adjusted working day",
                    where + "date",
                )
            )
            continue
        if claim(day, f"adjusted_workdays[{i}]"):
            adjusted[day] = name

    if errors or year is None:  # a bad year always left an error
        raise ArrangementError(errors)
    return ParsedArrangement(YearArrangement(year, holidays, adjusted), notice.strip())

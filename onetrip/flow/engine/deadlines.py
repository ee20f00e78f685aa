"""Deadlines: the engine asks a pluggable calculator; it never reads a clock itself.

`DeadlineCalculator.add(start, count, unit)` is the instant a limit of `count` units (working days, natural
days, working hours) started at `start` expires; `between(a, b, unit)` counts the units in (a, b] (used to
give back the time a pause took). `WorkdaysCalculator` wraps the official working-day `Calendar`
(onetrip/workdays/core.py, pure); `SimpleCalculator` (weekends only) is for tests and simulations.
"""

from __future__ import annotations

import datetime as dt
from typing import Protocol

from onetrip.workdays.core import SHANGHAI, Calendar, Unit

from .errors import bad


class DeadlineCalculator(Protocol):
    def add(self, start: dt.datetime, count: int, unit: str) -> dt.datetime: ...

    def between(self, a: dt.datetime, b: dt.datetime, unit: str) -> int: ...


def _unit(unit: str) -> Unit:
    try:
        return Unit(unit)
    except ValueError:
        raise bad("unknown_unit", f"未知的时限单位“{unit}”", f"Unknown unit {unit!r}", "unit") from None


class WorkdaysCalculator:
    """The official calendar: 次日起算, office-hours close of the last day, 调休 (see workdays.core).

    Keeps the last answer: the tasks of a parallel split are created at the same instant with the same limit.
    """

    __slots__ = ("calendar", "_last")

    def __init__(self, calendar: Calendar) -> None:
        self.calendar = calendar
        self._last: tuple[dt.datetime, int, str, dt.datetime] | None = None

    def add(self, start: dt.datetime, count: int, unit: str) -> dt.datetime:
        last = self._last
        if last is not None and last[0] == start and last[1] == count and last[2] == unit:
            return last[3]
        at = self.calendar.add(start, count, _unit(unit)).at
        self._last = (start, count, unit, at)
        return at

    def between(self, a: dt.datetime, b: dt.datetime, unit: str) -> int:
        u = _unit(unit)
        if u is Unit.WORKING:
            return self.calendar.working_days_between_instants(a, b).value
        if u is Unit.HOURS:
            return self.calendar.working_seconds_between(a, b).value // 3600
        # Natural days: between the local dates in Asia/Shanghai.
        return (b.astimezone(SHANGHAI).date() - a.astimezone(SHANGHAI).date()).days


class SimpleCalculator:
    """Weekends only, in the instants' own time zone: working days skip Saturday and Sunday, hours and
    natural days are plain time. Deterministic and cheap, for tests and simulations."""

    __slots__ = ()

    def add(self, start: dt.datetime, count: int, unit: str) -> dt.datetime:
        u = _unit(unit)
        if u is Unit.HOURS:
            return start + dt.timedelta(hours=count)
        if u is Unit.NATURAL:
            return start + dt.timedelta(days=count)
        at = start
        left = count
        while left:
            at += dt.timedelta(days=1)
            if at.weekday() < 5:
                left -= 1
        return at

    def between(self, a: dt.datetime, b: dt.datetime, unit: str) -> int:
        u = _unit(unit)
        if u is Unit.HOURS:
            return int((b - a).total_seconds() // 3600)
        if u is Unit.NATURAL:
            return (b.date() - a.date()).days
        day, last, count = a.date(), b.date(), 0
        while day < last:
            day += dt.timedelta(days=1)
            if day.weekday() < 5:
                count += 1
        return count

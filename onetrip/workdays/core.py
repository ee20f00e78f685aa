"""Working-day calendar and deadline arithmetic: plain typed Python, no Django.

A `Calendar` is built once from the years whose official arrangement is known (the State Council's notice:
holidays and adjusted working days, 调休) and precomputes, for every date from 1990-01-01 to 2099-12-31,

* whether it is a working day (weekends and holidays are not; adjusted working days are),
* `cum[i]`: the number of working days strictly before the i-th date of the range, and
* `workdays`: the sorted ordinals of all working days,

so that adding N working days and counting working days between two dates are a few list look-ups: O(1).

Years without a known arrangement are computed with weekends only. Such a result is never silently
presented as exact: every result carries `provisional=True` and the missing years it touched.

Semantics (all local dates and times are Asia/Shanghai; instants must be timezone-aware):

* **Dates.** `add_working_days(d, N)` counts from the day after `d` (次日起算): the result is the Nth working
  day after `d`, i.e. the working days in (d, result] number exactly N. With `same_day=True` (当日起算, where
  a rule says so) `d` itself is day 1 if it is a working day. N = 0 gives `d` (an immediate matter is due the
  same day). `add_natural_days(d, N)` is `d + N` days (`d + N - 1` with `same_day`); when that last day is not
  a working day the period ends on the next working day (民法典第二百零三条：期间的最后一日是法定休假日的，
  以法定休假日结束的次日为期间的最后一日).
* **Between.** `working_days_between(a, b)` is the number of working days in (a, b] when a <= b, and minus
  the number in (b, a] otherwise, so `working_days_between(d, add_working_days(d, N).date) == N`.
* **Acceptance instants.** An acceptance at an instant is deemed to happen on the local date when that date
  is a working day and the local time is before the cut-off; otherwise (after the cut-off, or on a weekend or
  holiday) it is deemed to happen on the next working day (`accepted_on`). Day limits then count from that
  date as above.
* **Deadline instants.** A day limit ends at the close of office hours on its last day (民法典第二百零三条：
  有业务时间的，停止业务活动的时间为截止时间).
* **Working hours** run only inside office hours on working days (default 09:00–12:00 and 13:30–17:30). They
  count from the acceptance instant itself, or from the next opening when it falls outside office hours or
  after the cut-off; `same_day` does not apply to hours. A deadline that ends exactly at a closing time is
  that closing time, not the next opening.
* **Remaining.** `remaining_working_days(now, deadline)` is `working_days_between` their local dates: 0 on the
  last day, negative when overdue. `remaining_working_seconds` counts office time between the two instants.
* **Clock.** A `ClockRecord` holds the acceptance instant, the limit (count and unit), and the recorded
  pauses (special procedure, suspension, correction: excluded intervals) and extensions. The deadline is
  recomputed from the record: each closed pause adds the limit units it covers — working days in
  (pause date, resume date], natural days between the two dates, or office seconds between the two
  instants — and each extension adds its count in the limit's unit (行政许可法第四十二条: 20 working days,
  extendable by 10). While a pause is open there is no deadline; the remaining time is frozen at the pause.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import NamedTuple
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")
INDEX_FIRST_YEAR = 1990
INDEX_LAST_YEAR = 2099
_fromordinal = dt.date.fromordinal
_tuple_new = tuple.__new__


class CalendarError(Exception):
    """A bad request to the calendar: a stable code, Chinese and English text, and the field concerned."""

    def __init__(self, code: str, message_zh: str, message_en: str, field: str | None = None) -> None:
        self.code = code
        self.message_zh = message_zh
        self.message_en = message_en
        self.field = field
        super().__init__(f"{code}: {message_zh} ({message_en})")


class Unit(StrEnum):
    WORKING = "working"
    NATURAL = "natural"
    HOURS = "hours"


UNIT_LABELS: dict[Unit, str] = {Unit.WORKING: "工作日", Unit.NATURAL: "自然日", Unit.HOURS: "工作小时"}


def parse_unit(value: str, field: str = "unit") -> Unit:
    try:
        return Unit(value)
    except ValueError:
        raise CalendarError(
            "unknown_unit",
            f"未知的时限单位“{value}”，可选：working（工作日）、natural（自然日）、hours（工作小时）",
            f"Unknown unit '{value}'; use working, natural or hours",
            field,
        ) from None


def check_count(n: object, field: str = "n") -> int:
    if type(n) is not int:
        raise CalendarError("invalid_count", "时限数必须是整数", "The count must be an integer", field)
    if n < 0:
        raise CalendarError("negative_count", "时限数不能为负数", "The count must not be negative", field)
    return n


def require_aware(at: dt.datetime, field: str = "at") -> dt.datetime:
    if not isinstance(at, dt.datetime):
        raise CalendarError("invalid_datetime", "需要日期时间", "A datetime is required", field)
    if at.tzinfo is None or at.utcoffset() is None:
        raise CalendarError(
            "naive_datetime",
            "日期时间必须带时区（例如 +08:00）",
            "The datetime must be timezone-aware (e.g. +08:00)",
            field,
        )
    return at


def _out_of_range(field: str | None = None) -> CalendarError:
    return CalendarError(
        "date_out_of_range",
        f"日期超出可计算范围（{INDEX_FIRST_YEAR}—{INDEX_LAST_YEAR}年）",
        f"Date outside the supported range ({INDEX_FIRST_YEAR}-{INDEX_LAST_YEAR})",
        field,
    )


@dataclass(frozen=True)
class YearArrangement:
    """One year's official arrangement: holidays and adjusted working days, each with its festival name."""

    year: int
    holidays: Mapping[dt.date, str]
    adjusted_workdays: Mapping[dt.date, str]


class DateResult(NamedTuple):
    date: dt.date
    provisional: bool
    missing_years: tuple[int, ...]


class CountResult(NamedTuple):
    value: int  # working days, or office seconds
    provisional: bool
    missing_years: tuple[int, ...]


class InstantResult(NamedTuple):
    at: dt.datetime  # UTC
    provisional: bool
    missing_years: tuple[int, ...]

    @property
    def local(self) -> dt.datetime:
        return self.at.astimezone(SHANGHAI)


def _seconds(t: dt.time) -> int:
    return t.hour * 3600 + t.minute * 60 + t.second


@dataclass(frozen=True)
class OfficeHours:
    """Office periods of a working day, in order, and the acceptance cut-off (default: the closing time)."""

    periods: tuple[tuple[dt.time, dt.time], ...] = (
        (dt.time(9, 0), dt.time(12, 0)),
        (dt.time(13, 30), dt.time(17, 30)),
    )
    cutoff: dt.time | None = None

    def __post_init__(self) -> None:
        if not self.periods:
            raise CalendarError("invalid_office_hours", "办公时间不能为空", "Office hours must not be empty")
        previous_end = -1
        for start, end in self.periods:
            if not (previous_end <= _seconds(start) < _seconds(end)):
                raise CalendarError(
                    "invalid_office_hours",
                    "办公时段必须按时间先后排列且互不重叠",
                    "Office periods must be in order and must not overlap",
                )
            previous_end = _seconds(end)
        if self.cutoff is not None and not (
            _seconds(self.periods[0][0]) < _seconds(self.cutoff) <= _seconds(self.periods[-1][1])
        ):
            raise CalendarError(
                "invalid_cutoff",
                "受理截止时间必须在办公时间之内",
                "The cut-off must lie within office hours",
            )

    @property
    def closing(self) -> dt.time:
        return self.periods[-1][1]

    @property
    def cutoff_time(self) -> dt.time:
        return self.cutoff or self.closing

    @property
    def seconds_per_day(self) -> int:
        return sum(_seconds(e) - _seconds(s) for s, e in self.periods)

    def elapsed(self, t: dt.time) -> int:
        """Office seconds of a working day that have passed at local time `t`."""
        now = _seconds(t)
        total = 0
        for start, end in self.periods:
            s, e = _seconds(start), _seconds(end)
            if now <= s:
                break
            total += min(now, e) - s
        return total

    def time_at(self, elapsed: int) -> dt.time:
        """The local time at which `elapsed` office seconds (0 < elapsed <= seconds_per_day) have passed."""
        remaining = elapsed
        for start, end in self.periods:
            length = _seconds(end) - _seconds(start)
            if remaining <= length:
                s = _seconds(start) + remaining
                return dt.time(s // 3600, s % 3600 // 60, s % 60)
            remaining -= length
        return self.closing


class Calendar:
    """The working-day calendar over 1990–2099 with an O(1) ordinal index (see the module docstring)."""

    def __init__(
        self, arrangements: Iterable[YearArrangement], office_hours: OfficeHours | None = None
    ) -> None:
        self.office_hours = office_hours or OfficeHours()
        self._day_seconds = self.office_hours.seconds_per_day
        self._base = dt.date(INDEX_FIRST_YEAR, 1, 1).toordinal()
        self._size = dt.date(INDEX_LAST_YEAR, 12, 31).toordinal() - self._base + 1
        flags = [(self._base + off - 1) % 7 < 5 for off in range(self._size)]  # ordinal 1 is a Monday
        known: set[int] = set()
        self._names: dict[dt.date, tuple[bool, str]] = {}
        for arrangement in arrangements:
            if not INDEX_FIRST_YEAR <= arrangement.year <= INDEX_LAST_YEAR:
                raise _out_of_range("year")
            known.add(arrangement.year)
            for day, name in arrangement.holidays.items():
                flags[day.toordinal() - self._base] = False
                self._names[day] = (False, name)
            for day, name in arrangement.adjusted_workdays.items():
                flags[day.toordinal() - self._base] = True
                self._names[day] = (True, name)
        self.known_years: frozenset[int] = frozenset(known)
        self._flags = flags
        cum = [0] * (self._size + 1)
        workdays: list[int] = []
        count = 0
        for off, is_workday in enumerate(flags):
            cum[off] = count
            if is_workday:
                workdays.append(self._base + off)
                count += 1
        cum[self._size] = count
        self._cum = cum
        self._workdays = workdays
        # _unknown[i]: how many of the years INDEX_FIRST_YEAR .. INDEX_FIRST_YEAR + i - 1 are unknown.
        unknown = [0]
        for year in range(INDEX_FIRST_YEAR, INDEX_LAST_YEAR + 1):
            unknown.append(unknown[-1] + (year not in known))
        self._unknown = unknown
        # _exact_until[off]: the last ordinal of the run of known years holding the date at `off` (-1 when its
        # year is unknown), so a result up to it needs no provisional flag.
        exact_until = [-1] * self._size
        run_end = -1
        for year in range(INDEX_LAST_YEAR, INDEX_FIRST_YEAR - 1, -1):
            if year not in known:
                run_end = -1
            elif run_end == -1:
                run_end = dt.date(year, 12, 31).toordinal()
            first = dt.date(year, 1, 1).toordinal() - self._base
            last = dt.date(year, 12, 31).toordinal() - self._base
            exact_until[first : last + 1] = [run_end] * (last + 1 - first)
        self._exact_until = exact_until

    # -- plain dates -------------------------------------------------------------------------------------

    def _offset(self, day: dt.date, field: str | None = None) -> int:
        off = day.toordinal() - self._base
        if off < 0 or off >= self._size:
            raise _out_of_range(field)
        return off

    def is_workday(self, day: dt.date) -> bool:
        return self._flags[self._offset(day)]

    def day_name(self, day: dt.date) -> str | None:
        """The festival a holiday or adjusted working day belongs to; None for an ordinary day."""
        entry = self._names.get(day)
        return entry[1] if entry else None

    def missing_years(self, first: dt.date, last: dt.date) -> tuple[int, ...]:
        a, b = sorted((first.year, last.year))
        return self._missing(a - INDEX_FIRST_YEAR, b - INDEX_FIRST_YEAR)

    def _missing(self, y0: int, y1: int) -> tuple[int, ...]:
        if self._unknown[y1 + 1] == self._unknown[y0]:
            return ()
        years = range(y0 + INDEX_FIRST_YEAR, y1 + INDEX_FIRST_YEAR + 1)
        return tuple(y for y in years if y not in self.known_years)

    def add_working_days(self, start: dt.date, n: int, *, same_day: bool = False) -> DateResult:
        # The hot path of every deadline computation: a few list look-ups, no loops.
        if type(n) is not int or n < 0:
            check_count(n)
        if type(start) is not dt.date:
            raise CalendarError("invalid_date", "需要日期", "A date is required", "start")
        off = start.toordinal() - self._base
        if off < 0 or off >= self._size:
            raise _out_of_range("start")
        if n:
            try:
                ordinal = self._workdays[self._cum[off + 1 - same_day] + n - 1]
            except IndexError:
                raise _out_of_range("n") from None
        else:
            ordinal = off + self._base
        if ordinal > self._exact_until[off]:
            result = _fromordinal(ordinal)
            missing = self.missing_years(start, result)
            return DateResult(result, bool(missing), missing)
        return _tuple_new(DateResult, (_fromordinal(ordinal), False, ()))

    def add_natural_days(self, start: dt.date, n: int, *, same_day: bool = False) -> DateResult:
        check_count(n)
        self._offset(start, "start")
        last = start + dt.timedelta(days=n - 1 if same_day and n > 0 else n)
        off = self._offset(last, "n")
        if n > 0 and not self._flags[off]:
            i = self._cum[off + 1]
            if i >= len(self._workdays):
                raise _out_of_range("n")
            last = dt.date.fromordinal(self._workdays[i])
        missing = self.missing_years(start, last)
        return DateResult(last, bool(missing), missing)

    def add_days(self, start: dt.date, n: int, unit: Unit, *, same_day: bool = False) -> DateResult:
        if unit is Unit.WORKING:
            return self.add_working_days(start, n, same_day=same_day)
        if unit is Unit.NATURAL:
            return self.add_natural_days(start, n, same_day=same_day)
        result = self.add(dt.datetime.combine(start, dt.time(0), SHANGHAI), n, unit)
        return DateResult(result.local.date(), result.provisional, result.missing_years)

    def working_days_between(self, a: dt.date, b: dt.date) -> CountResult:
        count = self._cum[self._offset(b, "end") + 1] - self._cum[self._offset(a, "start") + 1]
        missing = self.missing_years(a, b)
        return CountResult(count, bool(missing), missing)

    # -- instants ----------------------------------------------------------------------------------------

    def _local(self, at: dt.datetime, field: str) -> dt.datetime:
        return require_aware(at, field).astimezone(SHANGHAI)

    def accepted_on(self, at: dt.datetime) -> dt.date:
        """The working day an acceptance at `at` is deemed to happen on (cut-off and non-working days)."""
        local = self._local(at, "at")
        off = self._offset(local.date(), "at")
        if self._flags[off] and local.time() < self.office_hours.cutoff_time:
            return local.date()
        i = self._cum[off + 1]
        if i >= len(self._workdays):
            raise _out_of_range("at")
        return dt.date.fromordinal(self._workdays[i])

    def close_of(self, day: dt.date) -> dt.datetime:
        """The end of office hours on `day`, in UTC: the instant a day limit ending on `day` expires."""
        return dt.datetime.combine(day, self.office_hours.closing, SHANGHAI).astimezone(dt.UTC)

    def _position_seconds(self, at: dt.datetime, field: str) -> int:
        local = self._local(at, field)
        off = self._offset(local.date(), field)
        k = self._cum[off]
        if not self._flags[off]:
            return k * self._day_seconds
        return k * self._day_seconds + self.office_hours.elapsed(local.time())

    def _start_seconds(self, at: dt.datetime) -> int:
        local = self._local(at, "at")
        off = self._offset(local.date(), "at")
        if self._flags[off] and local.time() >= self.office_hours.cutoff_time:
            return (self._cum[off] + 1) * self._day_seconds
        return self._position_seconds(at, "at")

    def _instant_at_seconds(self, position: int) -> dt.datetime:
        k, m = divmod(position, self._day_seconds)
        if m == 0 and k > 0:
            k, m = k - 1, self._day_seconds
        if k >= len(self._workdays):
            raise _out_of_range("n")
        day = dt.date.fromordinal(self._workdays[k])
        local_time = self.office_hours.periods[0][0] if m == 0 else self.office_hours.time_at(m)
        return dt.datetime.combine(day, local_time, SHANGHAI).astimezone(dt.UTC)

    def _result(self, first: dt.date, at: dt.datetime) -> InstantResult:
        missing = self.missing_years(first, at.astimezone(SHANGHAI).date())
        return InstantResult(at, bool(missing), missing)

    def add(self, at: dt.datetime, n: int, unit: Unit, *, same_day: bool = False) -> InstantResult:
        """The deadline of a limit of `n` `unit`s for an acceptance at `at` (see the module docstring)."""
        check_count(n)
        local = self._local(at, "at")
        if unit is Unit.HOURS:
            deadline = self._instant_at_seconds(self._start_seconds(at) + n * 3600)
            return self._result(local.date(), max(deadline, at.astimezone(dt.UTC)))
        day = self.add_days(self.accepted_on(at), n, unit, same_day=same_day)
        return self._result(local.date(), self.close_of(day.date))

    def working_days_between_instants(self, a: dt.datetime, b: dt.datetime) -> CountResult:
        return self.working_days_between(self._local(a, "start").date(), self._local(b, "end").date())

    def remaining_working_days(self, now: dt.datetime, deadline: dt.datetime) -> CountResult:
        return self.working_days_between_instants(now, deadline)

    def working_seconds_between(self, a: dt.datetime, b: dt.datetime) -> CountResult:
        """Office seconds from `a` to `b` (negative when `b` is earlier)."""
        seconds = self._position_seconds(b, "end") - self._position_seconds(a, "start")
        missing = self.missing_years(self._local(a, "start").date(), self._local(b, "end").date())
        return CountResult(seconds, bool(missing), missing)

    def remaining_working_seconds(self, now: dt.datetime, deadline: dt.datetime) -> CountResult:
        return self.working_seconds_between(now, deadline)

    # -- the deadline clock ------------------------------------------------------------------------------

    def _position(self, at: dt.datetime, unit: Unit, field: str) -> int:
        if unit is Unit.HOURS:
            return self._position_seconds(at, field)
        day = self._local(at, field).date()
        if unit is Unit.NATURAL:
            self._offset(day, field)
            return day.toordinal()
        return self._cum[self._offset(day, field) + 1]

    def clock(self, record: ClockRecord) -> ClockState:
        """Recompute a clock's deadline from its record of pauses and extensions."""
        record.validate()
        unit = record.unit
        excluded = 0
        paused_since: dt.datetime | None = None
        for pause in record.pauses:
            if pause.end is None:
                paused_since = pause.start
            else:
                excluded += self._position(pause.end, unit, "end") - self._position(
                    pause.start, unit, "start"
                )
        extended = sum(e.count for e in record.extensions)
        if unit is Unit.HOURS:
            excluded_units = excluded  # seconds
            total_seconds = (record.count + extended) * 3600 + excluded
            deadline_at = self._instant_at_seconds(self._start_seconds(record.accepted_at) + total_seconds)
            deadline = self._result(self._local(record.accepted_at, "accepted_at").date(), deadline_at)
        else:
            excluded_units = excluded
            deadline = self.add(
                record.accepted_at, record.count + extended + excluded, unit, same_day=record.same_day
            )
        if paused_since is not None:
            frozen = (
                self.working_seconds_between(paused_since, deadline.at).value
                if unit is Unit.HOURS
                else self.working_days_between_instants(paused_since, deadline.at).value
                if unit is Unit.WORKING
                else (deadline.local.date() - self._local(paused_since, "start").date()).days
            )
            return ClockState(
                None,
                deadline.provisional,
                deadline.missing_years,
                paused_since,
                frozen,
                excluded_units,
                extended,
            )
        return ClockState(
            deadline.at, deadline.provisional, deadline.missing_years, None, None, excluded_units, extended
        )


class PauseKind(StrEnum):
    SPECIAL_PROCEDURE = "special_procedure"  # 特别程序：听证、检验检测、专家评审、公示
    SUSPENSION = "suspension"  # 中止
    CORRECTION = "correction"  # 补正


@dataclass(frozen=True)
class Pause:
    kind: PauseKind
    start: dt.datetime
    end: dt.datetime | None = None
    note: str = ""


@dataclass(frozen=True)
class Extension:
    count: int
    at: dt.datetime
    note: str = ""


@dataclass(frozen=True)
class ClockRecord:
    """Everything a deadline depends on; append-only: pauses and extensions are recorded one by one."""

    accepted_at: dt.datetime
    count: int
    unit: Unit
    same_day: bool = False
    pauses: tuple[Pause, ...] = field(default=())
    extensions: tuple[Extension, ...] = field(default=())

    def validate(self) -> None:
        require_aware(self.accepted_at, "accepted_at")
        check_count(self.count, "count")
        previous_end = self.accepted_at
        for i, pause in enumerate(self.pauses):
            require_aware(pause.start, "start")
            if pause.start < previous_end:
                raise CalendarError(
                    "pause_overlap",
                    "暂停时段必须在受理之后，且按时间先后排列、互不重叠",
                    "Pauses must start after acceptance, be in order and not overlap",
                    "start",
                )
            if pause.end is None:
                if i != len(self.pauses) - 1:
                    raise CalendarError(
                        "pause_open", "上一次暂停尚未恢复计时", "The previous pause has not ended", "start"
                    )
                continue
            require_aware(pause.end, "end")
            if pause.end < pause.start:
                raise CalendarError(
                    "pause_end_before_start",
                    "恢复计时不能早于暂停",
                    "A pause cannot end before it starts",
                    "end",
                )
            previous_end = pause.end
        for extension in self.extensions:
            require_aware(extension.at, "at")
            if check_count(extension.count, "count") == 0:
                raise CalendarError(
                    "empty_extension", "延长时限数必须大于零", "An extension must add time", "count"
                )

    @property
    def open_pause(self) -> Pause | None:
        return self.pauses[-1] if self.pauses and self.pauses[-1].end is None else None

    def paused(self, kind: PauseKind, at: dt.datetime, note: str = "") -> ClockRecord:
        record = replace(self, pauses=(*self.pauses, Pause(kind, at, None, note)))
        record.validate()
        return record

    def resumed(self, at: dt.datetime) -> ClockRecord:
        pause = self.open_pause
        if pause is None:
            raise CalendarError("not_paused", "计时未暂停", "The clock is not paused", "at")
        record = replace(self, pauses=(*self.pauses[:-1], replace(pause, end=at)))
        record.validate()
        return record

    def extended(self, count: int, at: dt.datetime, note: str = "") -> ClockRecord:
        record = replace(self, extensions=(*self.extensions, Extension(count, at, note)))
        record.validate()
        return record


class ClockState(NamedTuple):
    deadline: dt.datetime | None  # UTC; None while paused
    provisional: bool
    missing_years: tuple[int, ...]
    paused_since: dt.datetime | None
    frozen_remaining: int | None  # while paused: working/natural days, or office seconds for hours
    excluded: int  # limit units (office seconds for hours) excluded by closed pauses
    extended: int  # limit units added by extensions


def parse_when(text: str, field: str = "start") -> dt.date | dt.datetime:
    """`2026-10-01` (a date) or an ISO datetime with its offset (`2026-10-01T10:00+08:00`); naive is an error."""
    value = text.strip()
    try:
        if len(value) == 10:
            return dt.date.fromisoformat(value)
        at = dt.datetime.fromisoformat(value)
    except ValueError:
        raise CalendarError(
            "invalid_date",
            f"无法识别的日期“{value}”，请写作 2026-10-01 或 2026-10-01T10:00+08:00",
            f"Unrecognised date '{value}'; use 2026-10-01 or 2026-10-01T10:00+08:00",
            field,
        ) from None
    return require_aware(at, field)

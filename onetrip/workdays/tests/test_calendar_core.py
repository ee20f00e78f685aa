"""The pure calendar: properties, every 2025 and 2026 holiday period, instants, hours, the deadline clock."""

import datetime as dt

import chinese_calendar
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from onetrip.workdays.core import (
    SHANGHAI,
    Calendar,
    CalendarError,
    ClockRecord,
    OfficeHours,
    PauseKind,
    Unit,
    YearArrangement,
    parse_unit,
    parse_when,
)
from onetrip.workdays.package import package_arrangements

CAL = Calendar(package_arrangements())
D = dt.date


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


known_dates = st.dates(min_value=D(2004, 1, 1), max_value=D(2026, 10, 31))
counts = st.integers(min_value=0, max_value=250)


@given(start=known_dates, n=counts)
@settings(max_examples=200)
def test_adding_n_working_days_then_counting_between_gives_n(start, n):
    result = CAL.add_working_days(start, n)
    assert CAL.working_days_between(start, result.date).value == n
    if n:
        assert CAL.is_workday(result.date)


@given(start=known_dates, n=counts)
@settings(max_examples=200)
def test_adding_is_monotonic_in_n(start, n):
    assert CAL.add_working_days(start, n).date < CAL.add_working_days(start, n + 1).date


@given(start=st.dates(min_value=D(2004, 1, 1), max_value=D(2026, 11, 30)), n=st.integers(1, 20))
@settings(max_examples=200)
def test_agrees_with_a_day_by_day_loop_over_chinese_calendar(start, n):
    day, counted = start, 0
    while counted < n:
        day += dt.timedelta(days=1)
        counted += chinese_calendar.is_workday(day)
    assert CAL.add_working_days(start, n) == (day, False, ())


@given(start=known_dates, n=st.integers(1, 60))
@settings(max_examples=200)
def test_no_holiday_is_ever_counted_and_every_counted_day_is_a_workday(start, n):
    end = CAL.add_working_days(start, n).date
    day = start + dt.timedelta(days=1)
    counted = 0
    while day <= end:
        if day in chinese_calendar.holidays:
            assert not CAL.is_workday(day)
        counted += CAL.is_workday(day)
        day += dt.timedelta(days=1)
    assert counted == n


@given(day=st.sampled_from(sorted(chinese_calendar.workdays)))
def test_an_adjusted_working_weekend_day_counts(day):
    assert day.weekday() >= 5
    assert CAL.is_workday(day)
    assert CAL.add_working_days(day - dt.timedelta(days=1), 1).date == day
    assert CAL.working_days_between(day - dt.timedelta(days=1), day).value == 1


def holiday_runs(year):
    """Consecutive holiday runs of a year according to the package: [(first, last)]."""
    days = sorted(d for d in chinese_calendar.holidays if d.year == year)
    runs = []
    for d in days:
        if runs and runs[-1][1] + dt.timedelta(days=1) == d:
            runs[-1][1] = d
        else:
            runs.append([d, d])
    return [tuple(r) for r in runs]


# Published State Council arrangements (国办发明电〔2024〕12号, 国办发明电〔2025〕7号): holiday runs and
# adjusted working days.
HOLIDAYS_2025 = [
    (D(2025, 1, 1), D(2025, 1, 1)),  # 元旦
    (D(2025, 1, 28), D(2025, 2, 4)),  # 春节
    (D(2025, 4, 4), D(2025, 4, 6)),  # 清明
    (D(2025, 5, 1), D(2025, 5, 5)),  # 劳动节
    (D(2025, 5, 31), D(2025, 6, 2)),  # 端午
    (D(2025, 10, 1), D(2025, 10, 8)),  # 国庆、中秋
]
ADJUSTED_2025 = [D(2025, 1, 26), D(2025, 2, 8), D(2025, 4, 27), D(2025, 9, 28), D(2025, 10, 11)]
HOLIDAYS_2026 = [
    (D(2026, 1, 1), D(2026, 1, 3)),  # 元旦
    (D(2026, 2, 15), D(2026, 2, 23)),  # 春节
    (D(2026, 4, 4), D(2026, 4, 6)),  # 清明
    (D(2026, 5, 1), D(2026, 5, 5)),  # 劳动节
    (D(2026, 6, 19), D(2026, 6, 21)),  # 端午
    (D(2026, 9, 25), D(2026, 9, 27)),  # 中秋
    (D(2026, 10, 1), D(2026, 10, 7)),  # 国庆
]
ADJUSTED_2026 = [
    D(2026, 1, 4),
    D(2026, 2, 14),
    D(2026, 2, 28),
    D(2026, 5, 9),
    D(2026, 9, 20),
    D(2026, 10, 10),
]


@pytest.mark.parametrize(
    ("year", "runs", "adjusted"), [(2025, HOLIDAYS_2025, ADJUSTED_2025), (2026, HOLIDAYS_2026, ADJUSTED_2026)]
)
def test_every_holiday_period_of_2025_and_2026(year, runs, adjusted):
    assert holiday_runs(year) == runs
    assert sorted(d for d in chinese_calendar.workdays if d.year == year) == adjusted
    for first, last in runs:
        day = first
        while day <= last:
            assert not CAL.is_workday(day), day
            day += dt.timedelta(days=1)
        # The day before a holiday, one working day later, is the first working day after the period.
        after = last + dt.timedelta(days=1)
        while not CAL.is_workday(after):
            after += dt.timedelta(days=1)
        assert CAL.add_working_days(first - dt.timedelta(days=1), 1).date == after
        assert CAL.add_working_days(last, 1).date == after
    for day in adjusted:
        assert CAL.is_workday(day)


def test_known_answers_around_national_day_2025():
    # Accepted Fri 2025-09-26: day 1 is the adjusted Sunday 09-28, then 29, 30, then 10-09, 10-10, 10-11 (Sat).
    assert CAL.add_working_days(D(2025, 9, 26), 6).date == D(2025, 10, 11)
    assert CAL.add_working_days(D(2025, 9, 30), 1).date == D(2025, 10, 9)
    assert CAL.working_days_between(D(2025, 9, 30), D(2025, 10, 8)).value == 0
    # 2026 Spring Festival: accepted Fri 02-13, the adjusted Saturday 02-14 is day 1, then 02-24.
    assert CAL.add_working_days(D(2026, 2, 13), 2).date == D(2026, 2, 24)
    assert CAL.day_name(D(2026, 2, 14)) == "春节"


def test_same_day_counting_makes_the_acceptance_day_day_one():
    assert CAL.add_working_days(D(2025, 9, 29), 1, same_day=True).date == D(2025, 9, 29)
    assert CAL.add_working_days(D(2025, 10, 1), 1, same_day=True).date == D(2025, 10, 9)
    assert CAL.add_working_days(D(2025, 9, 29), 0).date == D(2025, 9, 29)


def test_natural_days_ending_on_a_holiday_move_to_the_next_working_day():
    assert CAL.add_natural_days(D(2025, 9, 25), 10).date == D(2025, 10, 9)  # 10-05 is in the holiday
    assert CAL.add_natural_days(D(2025, 9, 1), 10).date == D(2025, 9, 11)
    assert CAL.add_natural_days(D(2025, 9, 1), 10, same_day=True).date == D(2025, 9, 10)


def test_years_without_an_arrangement_are_weekends_only_and_flagged():
    result = CAL.add_working_days(D(2026, 12, 31), 1)
    assert result == (D(2027, 1, 1), True, (2027,))  # a Friday: a guess the result admits to
    assert CAL.add_working_days(D(2003, 12, 30), 1).missing_years == (2003,)
    assert CAL.working_days_between(D(2026, 12, 1), D(2028, 1, 5)).missing_years == (2027, 2028)
    assert not CAL.add_working_days(D(2026, 12, 1), 5).provisional


def test_acceptance_after_the_cutoff_or_on_a_holiday_counts_from_the_next_working_day():
    assert CAL.accepted_on(at("2025-09-29T17:00")) == D(2025, 9, 29)
    assert CAL.accepted_on(at("2025-09-29T17:30")) == D(2025, 9, 30)
    assert CAL.accepted_on(at("2025-10-03T10:00")) == D(2025, 10, 9)
    early = Calendar(package_arrangements(), OfficeHours(cutoff=dt.time(16, 0)))
    assert early.accepted_on(at("2025-09-29T16:00")) == D(2025, 9, 30)
    deadline = CAL.add(at("2025-09-30T18:00"), 1, Unit.WORKING)
    assert deadline.local == at("2025-10-10T17:30")
    assert deadline.at.tzinfo == dt.UTC


def test_working_hours_run_only_inside_office_hours():
    assert CAL.add(at("2025-09-30T10:00"), 3, Unit.HOURS).local == at("2025-09-30T14:30")
    assert CAL.add(at("2025-09-30T10:00"), 6, Unit.HOURS).local == at("2025-09-30T17:30")
    assert CAL.add(at("2025-09-30T10:00"), 7, Unit.HOURS).local == at("2025-10-09T10:00")
    assert CAL.add(at("2025-09-30T12:30"), 1, Unit.HOURS).local == at("2025-09-30T14:30")
    assert CAL.add(at("2025-10-02T12:30"), 1, Unit.HOURS).local == at("2025-10-09T10:00")
    remaining = CAL.remaining_working_seconds(at("2025-09-30T16:30"), at("2025-10-09T10:00"))
    assert remaining.value == 2 * 3600


def test_remaining_working_days_are_zero_on_the_last_day_and_negative_when_overdue():
    assert CAL.remaining_working_days(at("2025-10-10T09:00"), at("2025-10-10T17:30")).value == 0
    assert CAL.remaining_working_days(at("2025-09-30T09:00"), at("2025-10-10T17:30")).value == 2
    assert CAL.remaining_working_days(at("2025-10-13T09:00"), at("2025-10-10T17:30")).value == -2


def test_a_pause_across_a_holiday_excludes_only_its_working_days():
    record = ClockRecord(at("2025-09-26T10:00"), 5, Unit.WORKING)
    assert CAL.clock(record).deadline == CAL.close_of(D(2025, 10, 10))
    paused = record.paused(PauseKind.SPECIAL_PROCEDURE, at("2025-09-29T15:00"))
    state = CAL.clock(paused)
    assert state.deadline is None and state.paused_since == at("2025-09-29T15:00")
    assert state.frozen_remaining == 3  # 09-30, 10-09 and 10-10 were still to come
    resumed = paused.resumed(at("2025-10-09T09:00"))
    state = CAL.clock(resumed)
    assert state.excluded == 2  # 09-30 and 10-09: the eight holiday days cost nothing
    # Three days left on resuming 10-09: 10-10, the adjusted Saturday 10-11, and 10-13.
    assert state.deadline == CAL.close_of(D(2025, 10, 13))
    extended = resumed.extended(10, at("2025-10-10T09:00"), "行政许可法第四十二条")
    assert CAL.clock(extended).deadline == CAL.close_of(D(2025, 10, 27))
    assert CAL.clock(extended) == CAL.clock(ClockRecord(**extended.__dict__))  # recomputable from the record


def test_a_pause_on_an_hours_clock_excludes_office_time():
    record = ClockRecord(at("2025-09-30T10:00"), 4, Unit.HOURS)
    record = record.paused(PauseKind.CORRECTION, at("2025-09-30T11:00")).resumed(at("2025-09-30T14:30"))
    state = CAL.clock(record)
    assert state.excluded == 2 * 3600
    assert state.deadline == at("2025-09-30T17:30").astimezone(dt.UTC)


def test_clock_record_rejects_overlapping_and_reversed_pauses():
    record = ClockRecord(at("2025-09-26T10:00"), 5, Unit.WORKING).paused(
        PauseKind.SUSPENSION, at("2025-09-29T10:00")
    )
    with pytest.raises(CalendarError) as exc:
        record.paused(PauseKind.SUSPENSION, at("2025-09-30T10:00"))
    assert exc.value.code == "pause_open"
    with pytest.raises(CalendarError) as exc:
        record.resumed(at("2025-09-28T10:00"))
    assert exc.value.code == "pause_end_before_start"
    with pytest.raises(CalendarError) as exc:
        ClockRecord(at("2025-09-26T10:00"), 5, Unit.WORKING).resumed(at("2025-09-28T10:00"))
    assert exc.value.code == "not_paused"


@pytest.mark.parametrize(
    ("call", "code"),
    [
        (lambda: CAL.add_working_days(D(2025, 1, 1), -1), "negative_count"),
        (lambda: CAL.add(dt.datetime(2025, 1, 1, 10), 1, Unit.WORKING), "naive_datetime"),
        (lambda: parse_unit("weeks"), "unknown_unit"),
        (lambda: parse_when("2025-01-01T10:00"), "naive_datetime"),
        (lambda: parse_when("2025-13-01"), "invalid_date"),
        (lambda: CAL.add_working_days(D(2099, 12, 30), 5), "date_out_of_range"),
    ],
)
def test_bad_input_has_a_stable_code_and_both_languages(call, code):
    with pytest.raises(CalendarError) as exc:
        call()
    assert exc.value.code == code
    assert exc.value.message_zh and exc.value.message_en


def test_a_calendar_from_an_arrangement_uses_its_adjusted_days():
    arrangement = YearArrangement(2027, {D(2027, 2, 5): "春节"}, {D(2027, 2, 6): "春节"})
    cal = Calendar([arrangement])
    assert not cal.is_workday(D(2027, 2, 5)) and cal.is_workday(D(2027, 2, 6))
    assert cal.add_working_days(D(2027, 2, 4), 1) == (D(2027, 2, 6), False, ())


def test_a_gap_between_known_years_is_flagged():
    cal = Calendar([YearArrangement(2025, {}, {}), YearArrangement(2027, {}, {})])
    assert cal.add_working_days(D(2025, 12, 1), 5) == (D(2025, 12, 8), False, ())
    assert cal.add_working_days(D(2025, 12, 30), 5).missing_years == (2026,)
    assert cal.add_working_days(D(2025, 12, 30), 300).missing_years == (2026,)
    assert cal.add_working_days(D(2027, 1, 4), 5) == (D(2027, 1, 11), False, ())
    assert cal.add_working_days(D(2026, 12, 30), 1, same_day=True).missing_years == (2026,)

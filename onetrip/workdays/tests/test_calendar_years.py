"""Calendar years in the database: the seed migration, loading a year from a file, the cached calendar."""

import datetime as dt

import chinese_calendar
import pytest

from onetrip.core.errors import Conflict, DomainError
from onetrip.workdays.models import CalendarSource, CalendarYear, SpecialDay, SpecialDayKind
from onetrip.workdays.selectors import calendar_add, calendar_current, missing_calendar_years
from onetrip.workdays.services import calendar_seed_package, calendar_year_load

pytestmark = pytest.mark.django_db

D = dt.date


def test_migrate_seeds_2004_to_2026_from_the_package():
    years = list(CalendarYear.objects.order_by("year").values_list("year", flat=True))
    assert years == list(range(2004, 2027))
    assert set(CalendarYear.objects.values_list("source", flat=True)) == {CalendarSource.PACKAGE}
    holidays = set(SpecialDay.objects.filter(kind=SpecialDayKind.HOLIDAY).values_list("date", flat=True))
    adjusted = set(
        SpecialDay.objects.filter(kind=SpecialDayKind.ADJUSTED_WORKDAY).values_list("date", flat=True)
    )
    assert holidays == set(chinese_calendar.holidays)
    assert adjusted == set(chinese_calendar.workdays)
    assert SpecialDay.objects.get(date=D(2026, 2, 17)).name == "春节"
    assert calendar_seed_package() == []


def test_2027_is_provisional_until_loaded_then_exact(example_2027):
    before = calendar_add(start="2027-02-04", n=1)
    assert before.date == D(2027, 2, 5) and before.provisional and before.missing_years == (2027,)
    assert missing_calendar_years(D(2026, 11, 21)) == [2027]

    year = calendar_year_load(content=example_2027)
    assert year.source == CalendarSource.FILE and "示例" in year.notice

    after = calendar_add(start="2027-02-04", n=1)
    assert after.date == D(2027, 2, 14) and not after.provisional  # the example's adjusted Sunday
    assert calendar_add(start="2026-12-31", n=1).date == D(2027, 1, 4)
    assert missing_calendar_years(D(2026, 11, 21)) == []
    assert missing_calendar_years(D(2027, 3, 1)) == [2028]


def test_a_year_already_loaded_is_refused_unless_replaced(example_2027):
    calendar_year_load(content=example_2027)
    with pytest.raises(Conflict) as exc:
        calendar_year_load(content=example_2027)
    assert exc.value.errors[0].code == "year_already_loaded"
    shorter = example_2027.replace(
        b"start = 2027-10-01\nend = 2027-10-07", b"start = 2027-10-01\nend = 2027-10-05"
    )
    calendar_year_load(content=shorter, replace=True)
    assert CalendarYear.objects.filter(year=2027).count() == 1
    assert not SpecialDay.objects.filter(date=D(2027, 10, 6)).exists()
    assert calendar_current().is_workday(D(2027, 10, 6))


def bad_file(body: str) -> bytes:
    return ('year = 2027\nnotice = "国办发明电〔2026〕9号"\n' + body).encode()


GOOD_HOLIDAY = '[[holidays]]\nname = "元旦"\nstart = 2027-01-01\nend = 2027-01-03\n'


@pytest.mark.parametrize(
    ("content", "code", "field"),
    [
        (
            bad_file(GOOD_HOLIDAY + '[[holidays]]\nname = "春节"\nstart = 2027-01-03\nend = 2027-01-05\n'),
            "duplicate_day",
            "holidays[1]",
        ),
        (
            bad_file(GOOD_HOLIDAY + '[[adjusted_workdays]]\nname = "元旦"\ndate = 2027-01-02\n'),
            "duplicate_day",
            "adjusted_workdays[0]",
        ),
        (
            bad_file(GOOD_HOLIDAY + '[[adjusted_workdays]]\nname = "春节"\ndate = 2027-02-08\n'),
            "adjusted_workday_on_weekday",
            "adjusted_workdays[0].date",
        ),
        (
            bad_file('[[holidays]]\nname = "元旦"\nstart = 2026-12-31\nend = 2027-01-02\n'),
            "holiday_outside_year",
            "holidays[0].start",
        ),
        (bad_file("colour = 1\n" + GOOD_HOLIDAY), "unknown_key", "colour"),
        (bad_file(""), "no_holidays", "holidays"),
        (b"year = 2027\nnotice = ", "invalid_file", "file"),
        (GOOD_HOLIDAY.encode(), "invalid_year", "year"),
    ],
)
def test_a_bad_arrangement_file_is_refused_and_nothing_is_stored(content, code, field):
    years, days = CalendarYear.objects.count(), SpecialDay.objects.count()
    with pytest.raises(DomainError) as exc:
        calendar_year_load(content=content)
    assert (code, field) in [(e.code, e.field) for e in exc.value.errors]
    assert all(e.message_zh and e.message_en for e in exc.value.errors)
    assert (CalendarYear.objects.count(), SpecialDay.objects.count()) == (years, days)


def test_every_problem_of_a_file_is_reported_at_once():
    content = bad_file(
        GOOD_HOLIDAY
        + '[[holidays]]\nname = "春节"\nstart = 2027-01-02\n'
        + '[[adjusted_workdays]]\nname = "春节"\ndate = 2027-02-09\n'
    )
    with pytest.raises(DomainError) as exc:
        calendar_year_load(content=content)
    assert [e.code for e in exc.value.errors] == ["duplicate_day", "adjusted_workday_on_weekday"]
    assert not CalendarYear.objects.filter(year=2027).exists()


def test_the_cached_calendar_follows_a_year_loaded_in_the_database(example_2027):
    first = calendar_current()
    assert calendar_current() is first
    assert 2027 not in first.known_years
    calendar_year_load(content=example_2027)
    assert 2027 in calendar_current().known_years

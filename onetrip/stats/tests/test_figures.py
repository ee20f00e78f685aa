"""Every dashboard figure, computed by the rollup and the selectors from the known set (builders.py), equals
the value worked out by hand."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from onetrip.stats.models import StatDay, StatDelta, StatItemMonth
from onetrip.stats.selectors import (
    StatsAccess,
    StatsFilter,
    dashboard,
    figures,
    percentile,
    plan,
)
from onetrip.stats.services import stats_rollup
from onetrip.stats.tests.builders import KnownSet, known_set, record_facts

pytestmark = pytest.mark.django_db
EVERYTHING = StatsAccess(None, frozenset())
TODAY = dt.date(2026, 3, 31)


@pytest.fixture
def rolled() -> KnownSet:
    s = known_set()
    record_facts(s)
    report = stats_rollup(batch=500)
    assert report.facts == 22 and report.skipped == 0
    assert not StatDelta.objects.exists()
    return s


def march(s: KnownSet, **kw) -> StatsFilter:
    return StatsFilter(dt.date(2026, 3, 1), TODAY, region=s.region, **kw)


def test_every_figure_of_the_known_set_equals_the_hand_computed_value(rolled: KnownSet) -> None:
    board = dashboard(access=EVERYTHING, f=march(rolled), today=TODAY)
    g = board.figures
    assert (g["accepted"], g["completed"], g["rejected"], g["ended"], g["refused"]) == (6, 4, 1, 1, 1)
    assert g["with_promise"] == 4 and g["on_time"] == 3 and g["late"] == 1
    assert g["on_time_rate"] == Decimal("75.00")
    assert g["mean_days"] == Decimal("2.25")  # (2 + 3 + 4 + 0) / 4
    assert str(g["p50_days"]) == "2" and str(g["p90_days"]) == "4"
    assert g["mean_promised_days"] == Decimal("3.00")  # (4 + 1 + 5 + 2) / 4
    assert g["mean_statutory_days"] == Decimal("9.50")  # (9 + 10) / 2
    assert g["speedup_rate"] == Decimal("68.42")  # (19 − (2 + 4)) / 19
    assert g["limit_compression"] == Decimal("52.63")  # (19 − (4 + 5)) / 19
    assert g["one_trip_rate"] == Decimal("75.00")  # trips 0, 1, 2, 0
    assert g["zero_trip_rate"] == Decimal("50.00")
    assert g["trips_per_case"] == Decimal("0.75")
    assert (g["trips_zero"], g["trips_one"], g["trips_more"]) == (2, 1, 1)
    assert g["channels"] == {"online": 4, "mobile": 1, "window": 1, "proxy": 0, "api": 0}
    assert g["online_rate"] == Decimal("83.33")  # (4 online + 1 mobile) / 6
    assert g["mobile_rate"] == Decimal("16.67")
    assert (g["materials_avoided"], g["fields_avoided"], g["steps_avoided"]) == (3, 3, 0)
    assert g["materials_avoided_per_case"] == Decimal("0.50")
    assert g["fields_avoided_per_case"] == Decimal("0.50")
    # Ratings: 5; 2 replaced by 4; 1 removed by an upheld appeal; on-site 3.
    assert g["rating_levels"] == {5: 1, 4: 1, 3: 1, 2: 0, 1: 0}
    assert g["rated"] == 3 and g["rated_onsite"] == 1 and g["bad"] == 0
    assert g["satisfaction_rate"] == Decimal("100.00") and g["bad_rate"] == Decimal("0.00")
    assert (g["warned"], g["overdue"]) == (1, 3)
    assert (
        g["histogram"]["h00"] == g["histogram"]["h02"] == g["histogram"]["h03"] == g["histogram"]["h04"] == 1
    )


def test_departments_are_ranked_by_on_time_rate_and_three_overdue_mark_accountability(
    rolled: KnownSet,
) -> None:
    board = dashboard(access=EVERYTHING, f=march(rolled), today=TODAY)
    ranking = [(d["rank"], d["name"], d["on_time_rate"], d["accountable"]) for d in board.departments]
    assert ranking == [
        (1, rolled.d2.name, Decimal("100.00"), False),
        (2, rolled.d1.name, Decimal("66.67"), True),
    ]
    d1 = board.departments[1]
    assert (d1["accepted"], d1["completed"], d1["late"], d1["overdue"], d1["warned"]) == (5, 3, 1, 3, 1)
    assert d1["mean_days"] == Decimal("3.00") and d1["rated"] == 2  # c1 (5) and c2 (now 4)
    d2 = board.departments[0]
    # D2: c6 removed by appeal, the on-site 3 stays.
    assert d2["rated"] == 1 and d2["satisfaction_rate"] == Decimal("100.00")
    assert [a["name"] for a in board.accountability] == [rolled.d1.name]


def test_a_period_inside_a_month_is_exact_to_the_day(rolled: KnownSet) -> None:
    # 3-02 … 3-04: acceptances of c1, c2, c3, c4, c6, c7; completions of c1, c6 (办结) and c7 (ended).
    f = StatsFilter(dt.date(2026, 3, 2), dt.date(2026, 3, 4), region=rolled.region)
    assert plan(f.date_from, f.date_to, today=TODAY).months is None
    board = dashboard(access=EVERYTHING, f=f, today=TODAY)
    g = board.figures
    assert (g["accepted"], g["completed"], g["ended"]) == (6, 2, 1)
    assert board.trend_unit == "day" and [t["accepted"] for t in board.trend] == [4, 1, 1]
    assert board.months_from == dt.date(2026, 3, 1)  # the item table is widened to the month


def test_department_and_item_filters(rolled: KnownSet) -> None:
    only_d2 = dashboard(access=EVERYTHING, f=march(rolled, department=rolled.d2), today=TODAY)
    assert only_d2.figures["accepted"] == 1 and only_d2.figures["rated"] == 1
    by_item = dashboard(access=EVERYTHING, f=march(rolled, item=rolled.item1), today=TODAY)
    # The on-site rating has no item; everything else of item 1 is D1's.
    assert by_item.figures["accepted"] == 5 and by_item.figures["completed"] == 3
    assert [i["name"] for i in by_item.items] == [rolled.item1.name]
    assert by_item.trend_unit == "month" and by_item.months_from == dt.date(2026, 3, 1)


def test_rollup_rows_are_one_per_day_region_department_and_per_month_grain(rolled: KnownSet) -> None:
    assert StatItemMonth.objects.filter(month=dt.date(2026, 3, 1)).count() == 3  # D1·item1, D2·item2, D2·none
    day = StatDay.objects.get(day=dt.date(2026, 3, 2), department_id=rolled.d1.pk)
    assert (day.accepted, day.ch_online, day.ch_window) == (3, 2, 1)
    # The follow-up and the appeal were booked on their own days: a row may go negative for one level.
    appeal_day = StatDay.objects.get(day=dt.date(2026, 3, 12), department_id=rolled.d2.pk)
    assert appeal_day.rated_1 == -1


def test_percentiles_use_nearest_rank_and_report_wide_buckets_as_bounds() -> None:
    counts = {"h01": 5, "h03": 4, "h25": 1}
    assert str(percentile(counts, 0.5)) == "1"
    assert str(percentile(counts, 0.9)) == "3"
    assert str(percentile(counts, 0.95)) == "≤25"
    assert str(percentile({"h_more": 2}, 0.5)) == ">90"
    assert percentile({}, 0.5) is None
    assert figures({})["on_time_rate"] is None and figures({})["mean_days"] is None


def test_plan_reads_whole_months_from_the_month_table_and_edges_from_days() -> None:
    p = plan(dt.date(2026, 1, 15), dt.date(2026, 3, 31), today=dt.date(2026, 6, 1))
    assert p.months == (dt.date(2026, 2, 1), dt.date(2026, 3, 1))
    assert p.days == ((dt.date(2026, 1, 15), dt.date(2026, 1, 31)),)
    # The current month counts as whole up to today.
    p = plan(dt.date(2025, 4, 1), dt.date(2026, 3, 10), today=dt.date(2026, 3, 10))
    assert p.months == (dt.date(2025, 4, 1), dt.date(2026, 3, 1)) and p.days == ()
    p = plan(dt.date(2026, 3, 2), dt.date(2026, 3, 4), today=dt.date(2026, 3, 31), whole_months=True)
    assert p.months == (dt.date(2026, 3, 1), dt.date(2026, 3, 1)) and p.days == ()

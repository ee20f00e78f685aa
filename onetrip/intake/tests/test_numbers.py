"""Case numbers: region digits, year and a per-region-and-year sequence; unique under concurrency."""

from __future__ import annotations

import re
import threading

import pytest
from django.db import connection, connections, transaction

from onetrip.catalog.tests import factories as f
from onetrip.core.errors import DomainError
from onetrip.intake.services.numbers import case_number_format, case_number_next
from onetrip.orgs.models import RegionLevel

NUMBER_RE = re.compile(r"(\d{6})-(\d{4})-(\d{6,})")


def _seq(number: str) -> int:
    return int(NUMBER_RE.fullmatch(number).group(3))


def test_format_pads_the_sequence():
    assert case_number_format(digits="331102", year=2026, sequence=123) == "331102-2026-000123"
    assert case_number_format(digits="331102", year=2026, sequence=1234567) == "331102-2026-1234567"


@pytest.mark.django_db
def test_numbers_count_per_region_and_year():
    lishui = f.make_region(code="331102000000", name="莲都区")
    other = f.make_region(code="331121000000", name="青田县")
    a1 = case_number_next(region=lishui, year=2026)
    a2 = case_number_next(region=lishui, year=2026)
    b1 = case_number_next(region=other, year=2026)
    c1 = case_number_next(region=lishui, year=2027)
    assert a1.startswith("331102-2026-") and b1.startswith("331121-2026-") and c1.startswith("331102-2027-")
    assert _seq(a2) == _seq(a1) + 1


@pytest.mark.django_db
def test_a_township_counts_with_its_county():
    county = f.make_region(code="331103000000", name="测试县")
    town = f.make_region(code="331103001000", name="测试街道", level=RegionLevel.TOWNSHIP)
    first = case_number_next(region=county, year=2026)
    second = case_number_next(region=town, year=2026)
    assert second.startswith("331103-2026-") and _seq(second) == _seq(first) + 1


@pytest.mark.django_db
def test_bad_region_or_year_is_refused():
    with pytest.raises(DomainError):
        case_number_next(region=f.make_region(code="33ab00000000"), year=2026)
    with pytest.raises(DomainError):
        case_number_next(region=f.make_region(), year=99)


@pytest.mark.django_db(transaction=True)
def test_concurrent_numbers_are_unique_on_postgresql():
    if connection.vendor != "postgresql":
        pytest.skip("real concurrency needs PostgreSQL (SQLite serialises writers)")
    region = f.make_region(code="331199000000", name="并发测试区")
    per_thread, threads = 25, 8
    results: list[str] = []
    errors: list[BaseException] = []
    lock = threading.Lock()
    start = threading.Barrier(threads)

    def work() -> None:
        try:
            start.wait()
            for _ in range(per_thread):
                with transaction.atomic():  # each number inside its own acceptance-like transaction
                    number = case_number_next(region=region, year=2031)
                with lock:
                    results.append(number)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    pool = [threading.Thread(target=work) for _ in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    assert errors == []
    assert len(results) == per_thread * threads
    assert len(set(results)) == len(results)
    with connection.cursor() as cursor:
        cursor.execute("DROP SEQUENCE IF EXISTS intake_case_seq_331199_2031")

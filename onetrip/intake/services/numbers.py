"""Case numbers (办件编号): `<region digits>-<year>-<sequence>`, e.g. `331102-2026-000123`.

The region digits are the first six digits of the region's 12-digit division code (county level: 331102);
the sequence counts per region digits and year, zero-padded to six digits (it simply grows longer past
999999). Numbers are assigned at acceptance, so a refused or never-accepted submission has none.

PostgreSQL: one real SEQUENCE per region digits and year, `intake_case_seq_<digits>_<year>`, created on
first use; `nextval` never blocks and never repeats under concurrency (a rolled-back acceptance leaves a
gap, which numbering by sequence accepts). A CaseNumberCounter row registers each sequence.
SQLite: the CaseNumberCounter row is incremented inside the caller's transaction; SQLite transactions are
IMMEDIATE (settings), so writers are serialised and no two get the same number.

Township regions share their county's digits: numbering uses the region whose code is the six digits
followed by zeros when it exists (so a township department's cases count with its county's).
"""

from __future__ import annotations

from django.db import DatabaseError, connection, transaction
from django.db.models import F

from onetrip.core.errors import DomainError, ErrorDetail
from onetrip.intake.models import CaseNumberCounter
from onetrip.orgs.models import Region


def case_number_format(*, digits: str, year: int, sequence: int) -> str:
    return f"{digits}-{year:04d}-{sequence:06d}"


def _numbering_region(region: Region) -> Region:
    digits = region.code[:6]
    if region.code == digits + "000000":
        return region
    return Region.objects.filter(code=digits + "000000").first() or region


def _sequence_name(digits: str, year: int) -> str:
    return f"intake_case_seq_{digits}_{year:04d}"


def _nextval_postgres(region: Region, digits: str, year: int) -> int:
    name = _sequence_name(digits, year)  # digits and year are checked digits only: safe as an identifier
    with connection.cursor() as cursor:
        try:
            with transaction.atomic():
                cursor.execute("SELECT nextval(%s)", [name])
                return int(cursor.fetchone()[0])
        except DatabaseError:
            pass  # no such sequence yet: create it below
        try:
            with transaction.atomic():
                cursor.execute(f"CREATE SEQUENCE IF NOT EXISTS {name} START 1")
                CaseNumberCounter.objects.get_or_create(region=region, year=year)
        except DatabaseError:
            pass  # created by a concurrent transaction at the same moment
        cursor.execute("SELECT nextval(%s)", [name])
        return int(cursor.fetchone()[0])


def _next_sqlite(region: Region, year: int) -> int:
    with transaction.atomic():
        counter, _ = CaseNumberCounter.objects.select_for_update().get_or_create(region=region, year=year)
        CaseNumberCounter.objects.filter(pk=counter.pk).update(last=F("last") + 1)
        counter.refresh_from_db(fields=["last"])
        return counter.last


def case_number_next(*, region: Region, year: int) -> str:
    """The next case number for `region` and `year` (call it inside the acceptance transaction)."""
    digits = region.code[:6]
    if not digits.isdigit() or len(digits) != 6 or not 2000 <= year <= 9999:
        raise DomainError(
            ErrorDetail(
                "invalid_numbering_region", "区划代码或年份不正确", "Invalid region code or year", "region"
            )
        )
    numbering = _numbering_region(region)
    if connection.vendor == "postgresql":
        sequence = _nextval_postgres(numbering, digits, year)
    else:
        sequence = _next_sqlite(numbering, year)
    return case_number_format(digits=digits, year=year, sequence=sequence)

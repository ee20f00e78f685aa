"""Recording facts for the rollups, and folding them in.

`stats_record` / `stats_record_many`: call inside the transaction that changes the case (one INSERT).

`stats_rollup` takes pending `StatDelta` rows in id order (FOR UPDATE SKIP LOCKED on PostgreSQL; SQLite
transactions here are IMMEDIATE, so writers queue), reads only the cases they reference (one query per
batch, only the needed columns), computes each fact's contribution, adds it to the three rollups (models.py)
with INSERT … ON CONFLICT DO UPDATE SET c = c + EXCLUDED.c (keys sorted, so two workers lock rows in the
same order) and deletes the facts — all in one transaction per batch, so each fact counts exactly once.

What a fact contributes (the row is the Asia/Shanghai day and month of the fact's `at`):

- accepted: 受理 (+ 容缺 / 视为受理 / 一件事 flags), the channel, and what the applicant was spared: materials
  (a bundle's merged-away materials + materials fetched from e-licences or shared data), form fields (the
  bundle's merged-away fields + fields prefilled by the platform), steps (the bundle's merged-away steps);
- refused: 不予受理;
- completed: outcome completed or rejected (不予许可) is 办结: on time when completed_at ≤ promised_due_at;
  processing time = working days from acceptance to 办结 on the working-day calendar (次日起算: a case done
  on its acceptance day took 0), into the histogram; promised and statutory limits in working days the same
  way (acceptance → due instant); trips as recorded on the case when the fact is rolled up. Outcome withdrawn
  or terminated counts as `ended`, not 办结;
- rated: +1 for `level`, −1 for `previous_level` (a follow-up replaces, an upheld appeal removes), booked in
  the period the change happens; an on-site rating without a case (case_id 0) goes to its department's
  region;
- warned / overdue: one per fact, to the task's department.

`stats_rebuild` recomputes the case-derived counters from the cases (a full scan: for recovery only).
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import connection, models, transaction
from django.db.models import Count, Exists, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce

from onetrip.core.audit import audit_record
from onetrip.core.bulk import copy_rows, json_text, timestamp_text
from onetrip.core.errors import DomainError, ErrorDetail
from onetrip.stats.models import (
    COUNTERS,
    EXACT_DAYS,
    WIDE_BOUNDS,
    StatDay,
    StatDelta,
    StatDepartmentMonth,
    StatItemMonth,
    StatKind,
)
from onetrip.workdays.core import SHANGHAI, Calendar, CalendarError
from onetrip.workdays.selectors import calendar_current

MAX_BATCH = 5000
CASE_KINDS = (StatKind.ACCEPTED, StatKind.REFUSED, StatKind.COMPLETED)
# Counters that come from the case facts; ratings and warnings come only from their own facts.
CASE_COUNTERS = tuple(c for c in COUNTERS if not c.startswith("rated_") and c not in ("warned", "overdue"))
CHANNEL_COUNTER = {
    "online": "ch_online",
    "mobile": "ch_mobile",
    "window": "ch_window",
    "proxy": "ch_proxy",
    "api": "ch_api",
}
DONE_OUTCOMES = frozenset({"completed", "rejected"})
# PostgreSQL advisory lock: rollup batches hold it shared, a rebuild exclusively.
ADVISORY_KEY = 0x57A75


# ------------------------------------------------------------------------------------------ recording


def stats_record(*, case_id: int, kind: str, at: dt.datetime, data: dict[str, Any] | None = None) -> None:
    """One INSERT: no lock on any shared row, so it costs the calling transaction almost nothing."""
    StatDelta.objects.create(case_id=case_id, kind=kind, at=at, data=data or {})


def stats_record_many(*, rows: Iterable[tuple[int, str, dt.datetime, dict[str, Any]]]) -> None:
    """Many facts at once (a sweep may record 100,000): one COPY on PostgreSQL (`core.bulk`), no model
    instances."""
    if connection.vendor != "postgresql":
        StatDelta.objects.bulk_create(
            [StatDelta(case_id=case_id, kind=kind, at=at, data=data) for case_id, kind, at, data in rows]
        )
        return
    copy_rows(
        StatDelta._meta.db_table,
        ("case_id", "kind", "at", "data"),
        # str(kind): COPY would write a StatKind member by its enum name, not its value.
        ((case_id, str(kind), timestamp_text(at), json_text(data)) for case_id, kind, at, data in rows),
    )


# --------------------------------------------------------------------------------------- contributions


@dataclass(frozen=True, slots=True)
class CaseFacts:
    """The columns of a case the contributions need."""

    region_id: int
    department_id: int
    item_id: int
    bundle_id: int
    bundle_version_id: int | None
    channel: str
    trips: int
    accepted_at: dt.datetime | None
    promised_due_at: dt.datetime | None
    statutory_due_at: dt.datetime | None
    completed_at: dt.datetime | None
    materials_fetched: int
    fields_prefilled: int


@dataclass(frozen=True, slots=True)
class Fact:
    case_id: int
    kind: str
    at: dt.datetime
    data: Mapping[str, Any]


def histogram_column(days: int) -> str:
    if days <= EXACT_DAYS:
        return f"h{max(days, 0):02d}"
    for bound in WIDE_BOUNDS:
        if days <= bound:
            return f"h{bound:02d}"
    return "h_more"


def _working_days(calendar: Calendar, a: dt.datetime, b: dt.datetime) -> int:
    return calendar.working_days_between_instants(a, b).value


def _completion(fact: Fact, case: CaseFacts, calendar: Calendar) -> dict[str, int]:
    outcome = str(fact.data.get("outcome") or "completed")
    if outcome not in DONE_OUTCOMES:
        return {"ended": 1}
    c = {"completed": 1, "rejected": int(outcome == "rejected"), "trips_sum": case.trips}
    c["trips_zero"] = int(case.trips == 0)
    c["trips_one"] = int(case.trips == 1)
    done = case.completed_at or fact.at
    if case.promised_due_at is not None:
        c["with_promise"] = 1
        c["on_time"] = int(done <= case.promised_due_at)
    if case.accepted_at is None:
        return c
    try:
        days = _working_days(calendar, case.accepted_at, done)
        promised = (
            _working_days(calendar, case.accepted_at, case.promised_due_at)
            if case.promised_due_at is not None
            else None
        )
        statutory = (
            _working_days(calendar, case.accepted_at, case.statutory_due_at)
            if case.statutory_due_at is not None
            else None
        )
    except CalendarError:  # a date outside the calendar's range: counted, but without its times
        return c
    c["days_n"] = 1
    c["days_sum"] = days
    c[histogram_column(days)] = 1
    if promised is not None:
        c["promised_days_sum"] = promised
    if statutory is not None:
        c["statutory_n"] = 1
        c["statutory_days_sum"] = statutory
        c["statutory_actual_sum"] = days
        c["statutory_promised_sum"] = statutory if promised is None else promised
    return c


def _acceptance(
    fact: Fact, case: CaseFacts, reductions: Mapping[int, tuple[int, int, int]]
) -> dict[str, int]:
    c = {
        "accepted": 1,
        "accepted_deficient": int(bool(fact.data.get("deficient"))),
        "accepted_deemed": int(bool(fact.data.get("deemed"))),
        "accepted_bundle": int(case.bundle_id != 0),
    }
    channel = CHANNEL_COUNTER.get(case.channel)
    if channel:
        c[channel] = 1
    materials, fields, steps = reductions.get(case.bundle_version_id or 0, (0, 0, 0))
    c["materials_avoided"] = materials + case.materials_fetched
    c["fields_avoided"] = fields + case.fields_prefilled
    c["steps_avoided"] = steps
    return c


def _level(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 5 else None


def _rating(fact: Fact) -> dict[str, int]:
    level, previous = _level(fact.data.get("level")), _level(fact.data.get("previous_level"))
    c: dict[str, int] = defaultdict(int)
    if level is not None:
        c[f"rated_{level}"] += 1
    if previous is not None:
        c[f"rated_{previous}"] -= 1
    if fact.data.get("onsite"):
        c["rated_onsite"] = int(level is not None) - int(previous is not None)
    return dict(c)


MonthKey = tuple[dt.date, int, int, int, int]
DayKey = tuple[dt.date, int, int]


class Contributions:
    """Counter increments per row of each rollup, summed over a batch."""

    def __init__(self) -> None:
        self.day: dict[DayKey, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        self.department_month: dict[DayKey, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        self.month: dict[MonthKey, dict[str, int]] = defaultdict(lambda: defaultdict(int))

    def add(
        self,
        at: dt.datetime,
        *,
        region_id: int,
        department_id: int,
        item_id: int,
        bundle_id: int,
        counts: Mapping[str, int],
    ) -> None:
        day = at.astimezone(SHANGHAI).date()
        month = day.replace(day=1)
        rows = (
            self.day[(day, region_id, department_id)],
            self.department_month[(month, region_id, department_id)],
            self.month[(month, region_id, department_id, item_id, bundle_id)],
        )
        for name, n in counts.items():
            if n:
                for row in rows:
                    row[name] += n


def contribute(
    out: Contributions,
    fact: Fact,
    case: CaseFacts | None,
    *,
    calendar: Calendar,
    reductions: Mapping[int, tuple[int, int, int]],
    department_regions: Mapping[int, int],
) -> bool:
    """Add one fact's contribution; False when it cannot count (its case or department is unknown)."""
    if fact.kind == StatKind.RATED:
        counts = _rating(fact)
    elif fact.kind in (StatKind.WARNED, StatKind.OVERDUE):
        counts = {str(fact.kind): 1}
    elif case is None:
        return False
    elif fact.kind == StatKind.ACCEPTED:
        counts = _acceptance(fact, case, reductions)
    elif fact.kind == StatKind.REFUSED:
        counts = {"refused": 1}
    elif fact.kind == StatKind.COMPLETED:
        counts = _completion(fact, case, calendar)
    else:
        return False
    department = fact.data.get("department_id") if fact.kind not in CASE_KINDS else None
    if case is not None:
        department_id = int(department or case.department_id)
        dims = (case.region_id, case.item_id, case.bundle_id)
    else:
        if not department or int(department) not in department_regions:
            return False
        department_id = int(department)
        dims = (department_regions[department_id], 0, 0)
    out.add(
        fact.at,
        region_id=dims[0],
        department_id=department_id,
        item_id=dims[1],
        bundle_id=dims[2],
        counts=counts,
    )
    return True


# ------------------------------------------------------------------------------------------- reading


def _fetched_materials() -> Subquery:
    from onetrip.intake.models import ApplicationMaterial, MaterialState

    return Subquery(
        ApplicationMaterial.objects.filter(
            application_id=OuterRef("application_id"),
            state__in=(MaterialState.E_LICENCE, MaterialState.SHARED),
        )
        .order_by()
        .values("application_id")
        .annotate(n=Count("pk"))
        .values("n"),
        output_field=models.IntegerField(),
    )


CASE_COLUMNS = (
    "pk",
    "region_id",
    "lead_department_id",
    "item_version__item_id",
    "bundle_version__bundle_id",
    "bundle_version_id",
    "channel",
    "trips",
    "accepted_at",
    "promised_due_at",
    "statutory_due_at",
    "completed_at",
    "application__prefilled",
    "fetched",
)


def _prefilled_fields(prefilled: Any) -> int:
    """Form fields the platform filled in (the reserved "@…" entries are records, not fields)."""
    if not isinstance(prefilled, dict):
        return 0
    return sum(1 for key in prefilled if not str(key).startswith("@"))


def _case_facts(row: Sequence[Any]) -> CaseFacts:
    (_, region, dept, item, bundle, bundle_version, channel, trips, accepted, promised, statutory, done) = (
        row[:12]
    )
    return CaseFacts(
        region_id=region,
        department_id=dept,
        item_id=item or 0,
        bundle_id=bundle or 0,
        bundle_version_id=bundle_version,
        channel=channel,
        trips=trips,
        accepted_at=accepted,
        promised_due_at=promised,
        statutory_due_at=statutory,
        completed_at=done,
        materials_fetched=row[13] or 0,
        fields_prefilled=_prefilled_fields(row[12]),
    )


def _cases(case_ids: Iterable[int], *extra: str, **annotations: Any) -> dict[int, tuple[CaseFacts, tuple]]:
    from onetrip.intake.models import Case

    ids = sorted({i for i in case_ids if i})
    if not ids:
        return {}
    rows = (
        Case.objects.filter(pk__in=ids)
        .annotate(fetched=Coalesce(_fetched_materials(), 0), **annotations)
        .values_list(*CASE_COLUMNS, *extra)
    )
    return {row[0]: (_case_facts(row), row[len(CASE_COLUMNS) :]) for row in rows}


def _reductions(version_ids: Iterable[int]) -> dict[int, tuple[int, int, int]]:
    """Materials, fields and steps a bundle version merges away (its computed before − after), per
    version; read once per process (published versions never change)."""
    from onetrip.bundles.models import BundleVersion
    from onetrip.bundles.selectors import frozen_cached

    def load(pk: int) -> tuple[int, int, int]:
        figures = (
            BundleVersion.objects.filter(pk=pk).values_list("computed__figures__computed", flat=True).first()
        )
        by_measure = {f.get("measure"): f for f in figures or () if isinstance(f, dict)}

        def reduction(measure: str) -> int:
            f = by_measure.get(measure) or {}
            try:
                return max(int(f.get("before") or 0) - int(f.get("after") or 0), 0)
            except (TypeError, ValueError):
                return 0

        return reduction("materials"), reduction("fields"), reduction("steps")

    return {
        pk: frozen_cached(pk, "stats_reductions", lambda pk=pk: load(pk)) for pk in set(version_ids) if pk
    }


def _department_regions(department_ids: Iterable[int]) -> dict[int, int]:
    from onetrip.orgs.models import Department

    ids = sorted({int(i) for i in department_ids if i})
    if not ids:
        return {}
    return dict(Department.objects.filter(pk__in=ids).values_list("pk", "region_id"))


# ------------------------------------------------------------------------------------------- upserts


def _chunks(items: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def upsert_sql(model: type[models.Model], keys: Sequence[str]) -> tuple[str, str]:
    """`INSERT INTO table (keys…, counters…)` and `ON CONFLICT (keys) DO UPDATE SET c = table.c +
    EXCLUDED.c` for every counter: the head and tail of every statement that adds to a rollup."""
    qn = connection.ops.quote_name
    table = qn(model._meta.db_table)
    names = ", ".join(qn(c) for c in (*keys, *COUNTERS))
    update = ", ".join(f"{qn(c)} = {table}.{qn(c)} + EXCLUDED.{qn(c)}" for c in COUNTERS)
    conflict = ", ".join(qn(k) for k in keys)
    return f"INSERT INTO {table} ({names})", f"ON CONFLICT ({conflict}) DO UPDATE SET {update}"


def _upsert(model: type[models.Model], keys: Sequence[str], rows: Mapping[tuple, Mapping[str, int]]) -> int:
    """Add `rows` (key tuple → counter increments) to the rollup table in one statement per chunk."""
    if not rows:
        return 0
    head, tail = upsert_sql(model, keys)
    one = "(" + ", ".join(["%s"] * (len(keys) + len(COUNTERS))) + ")"
    adapt = connection.ops.adapt_datefield_value
    ordered = sorted(rows.items())  # the same lock order in every worker
    with connection.cursor() as cursor:
        for chunk in _chunks(ordered, 200):
            params: list[Any] = []
            for key, counts in chunk:
                params += [adapt(key[0]), *key[1:], *(counts.get(c, 0) for c in COUNTERS)]
            cursor.execute(f"{head} VALUES {', '.join([one] * len(chunk))} {tail}", params)
    return len(ordered)


MONTH_KEYS = ("month", "region_id", "department_id", "item_id", "bundle_id")
DEPARTMENT_MONTH_KEYS = ("month", "region_id", "department_id")
DAY_KEYS = ("day", "region_id", "department_id")
ROLLUPS = (StatDay, StatDepartmentMonth, StatItemMonth)


def _apply(out: Contributions) -> tuple[int, int]:
    """Upsert a batch's contributions (tables in a fixed order); returns the day and month rows touched."""
    days = _upsert(StatDay, DAY_KEYS, out.day)
    months = _upsert(StatDepartmentMonth, DEPARTMENT_MONTH_KEYS, out.department_month)
    return days, months + _upsert(StatItemMonth, MONTH_KEYS, out.month)


# -------------------------------------------------------------------------------------------- rollup


@dataclass
class RollupReport:
    facts: int = 0
    skipped: int = 0
    batches: int = 0
    day_rows: int = 0
    month_rows: int = 0

    def as_dict(self) -> dict[str, int]:
        return {
            "facts": self.facts,
            "skipped": self.skipped,
            "batches": self.batches,
            "day_rows": self.day_rows,
            "month_rows": self.month_rows,
        }


def _check_batch(batch: int) -> None:
    if not isinstance(batch, int) or not 1 <= batch <= MAX_BATCH:
        raise DomainError(
            ErrorDetail(
                "invalid_batch",
                f"每批数量须在1到{MAX_BATCH}之间",
                f"batch must be between 1 and {MAX_BATCH}",
                "batch",
            )
        )


def _fold(facts: Sequence[Fact], report: RollupReport) -> None:
    """Contributions of `facts` added to the rollups (inside the caller's transaction)."""
    cases = _cases(f.case_id for f in facts)
    accepted = [cases[f.case_id][0] for f in facts if f.kind == StatKind.ACCEPTED and f.case_id in cases]
    reductions = _reductions(c.bundle_version_id for c in accepted if c.bundle_version_id)
    regions = _department_regions(
        f.data.get("department_id") for f in facts if not f.case_id and isinstance(f.data, Mapping)
    )
    calendar = calendar_current()
    out = Contributions()
    for fact in facts:
        entry = cases.get(fact.case_id)
        ok = contribute(
            out,
            fact,
            entry[0] if entry else None,
            calendar=calendar,
            reductions=reductions,
            department_regions=regions,
        )
        report.skipped += not ok
    days, months = _apply(out)
    report.day_rows += days
    report.month_rows += months


def stats_rollup(*, batch: int = 500, max_batches: int | None = None) -> RollupReport:
    """Fold pending facts into the rollups, one transaction per batch, until none are left (or
    `max_batches`). Safe to run in several workers at once."""
    _check_batch(batch)
    report = RollupReport()
    postgres = connection.vendor == "postgresql"
    while max_batches is None or report.batches < max_batches:
        with transaction.atomic():
            if postgres:
                with connection.cursor() as cursor:
                    cursor.execute("SELECT pg_advisory_xact_lock_shared(%s)", [ADVISORY_KEY])
            rows = list(
                StatDelta.objects.select_for_update(skip_locked=True)
                .order_by("id")
                .values_list("id", "case_id", "kind", "at", "data")[:batch]
            )
            if not rows:
                break
            facts = [
                Fact(case_id, kind, at, data if isinstance(data, dict) else {})
                for _, case_id, kind, at, data in rows
            ]
            _fold(facts, report)
            StatDelta.objects.filter(pk__in=[r[0] for r in rows]).delete()
        report.facts += len(rows)
        report.batches += 1
    return report


# ------------------------------------------------------------------------------------------- rebuild


@dataclass
class RebuildReport:
    cases: int = 0
    facts: int = 0
    day_rows: int = 0
    month_rows: int = 0
    dropped_deltas: int = 0

    def as_dict(self) -> dict[str, int]:
        return {
            "cases": self.cases,
            "facts": self.facts,
            "day_rows": self.day_rows,
            "month_rows": self.month_rows,
            "dropped_deltas": self.dropped_deltas,
        }


def _case_history(case_id: int, facts: CaseFacts, extra: Sequence[Any]) -> list[Fact]:
    deemed, deficient, refused_at, flow_status = extra
    out: list[Fact] = []
    if facts.accepted_at is not None:
        out.append(
            Fact(case_id, StatKind.ACCEPTED, facts.accepted_at, {"deficient": deficient, "deemed": deemed})
        )
    if refused_at is not None:
        out.append(Fact(case_id, StatKind.REFUSED, refused_at, {}))
    if facts.completed_at is not None:
        out.append(
            Fact(case_id, StatKind.COMPLETED, facts.completed_at, {"outcome": flow_status or "completed"})
        )
    return out


def stats_rebuild(*, chunk: int = 2000) -> RebuildReport:
    """Recovery only — a full scan of the cases: reset the case-derived counters (受理, 不予受理, 办结 and
    everything computed with them) and recompute them from every case, dropping the pending case facts the
    scan already covers. Ratings, warnings and overdue counts come only from their own facts and are kept.

    On PostgreSQL the rollup workers are held off (advisory lock) and the scan runs in one REPEATABLE READ
    snapshot: a case changed after the snapshot keeps its pending fact, which the next rollup counts."""
    from onetrip.flow.models import ProcessInstanceRecord
    from onetrip.intake.models import Case, Deficiency, Refusal

    _check_batch(chunk)
    report = RebuildReport()
    postgres = connection.vendor == "postgresql"
    if postgres:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_lock(%s)", [ADVISORY_KEY])
    own_transaction = not connection.in_atomic_block
    try:
        with transaction.atomic():
            if postgres and own_transaction:
                with connection.cursor() as cursor:
                    cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            reset = dict.fromkeys(CASE_COUNTERS, 0)
            for model in ROLLUPS:
                model.objects.update(**reset)
            report.dropped_deltas = StatDelta.objects.filter(kind__in=CASE_KINDS).delete()[0]
            annotations = {
                "deficient": Exists(Deficiency.objects.filter(case_id=OuterRef("pk"))),
                "refused_at": Subquery(
                    Refusal.objects.filter(case_id=OuterRef("pk")).values("issued_at")[:1]
                ),
                "flow_status": Subquery(
                    ProcessInstanceRecord.objects.filter(case_id=OuterRef("pk")).values("status")[:1]
                ),
            }
            calendar = calendar_current()
            after = 0
            while True:
                ids = list(
                    Case.objects.filter(pk__gt=after)
                    .filter(Q(accepted_at__isnull=False) | Q(status="refused"))
                    .order_by("pk")
                    .values_list("pk", flat=True)[:chunk]
                )
                if not ids:
                    break
                after = ids[-1]
                cases = _cases(
                    ids, "deemed_accepted", "deficient", "refused_at", "flow_status", **annotations
                )
                facts = list(
                    itertools.chain.from_iterable(
                        _case_history(pk, facts, extra) for pk, (facts, extra) in cases.items()
                    )
                )
                reductions = _reductions(
                    c.bundle_version_id for c, _ in cases.values() if c.bundle_version_id
                )
                out = Contributions()
                for fact in facts:
                    contribute(
                        out,
                        fact,
                        cases[fact.case_id][0],
                        calendar=calendar,
                        reductions=reductions,
                        department_regions={},
                    )
                days, months = _apply(out)
                report.cases += len(cases)
                report.facts += len(facts)
                report.day_rows += days
                report.month_rows += months
            empty = dict.fromkeys(COUNTERS, 0)
            for model in ROLLUPS:
                model.objects.filter(**empty).delete()
            audit_record(
                actor=None,
                action="stats.rebuild",
                object_type="stats",
                object_id="rollups",
                data=report.as_dict(),
            )
    finally:
        if postgres:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [ADVISORY_KEY])
    return report

"""Statistics dashboard benchmark (issue 8): the main dashboard over rollups representing N cases (10 million).

Run from the repository root: `.venv/bin/python bench/supervision_dashboard.py [--cases N] [--runs R]`.
Prints one JSON line {"cases", "rollup_rows", "dashboard_ms", "dashboard_p95_ms", "page_ms", ...};
`bench/supervision.py` imports `measure`.

PostgreSQL only, in its own database (STATS_BENCH_DATABASE_URL, default
postgres://postgres@127.0.0.1:5432/onetrip_bench_stats; dropped and created afresh, the name must contain
"bench"), in a child process. Set-up (not timed): migrate; a city with 10 counties × 30 departments; the city's
supervisor (跑改办). Then N synthetic cases are generated in SQL (generate_series, seeded random()) — county,
department, item (600 per county, skewed: a few items carry most cases) or one of 20 one-things (5 %), channel,
acceptance day over the last 365 days (chunks in time order, as cases arrive), 1 % refused, 97 % of the rest done after an exponential number of
working days (mean 3), promised 3–9 and statutory 3× promised for 70 % of items, trips, spared materials and
fields, ratings on 30 % of completions, warnings and overdue — and folded into the three rollups, one
million cases per statement, with the rollup's own INSERT … ON CONFLICT DO UPDATE SET c = c + EXCLUDED.c
(acceptance counted on its day, completion and rating on the completion day), then VACUUM ANALYZE.

Timed: `dashboard_ms` — what the page asks of the database for the supervisor's default view (whole city,
last 12 months): the access check, the filters, and `selectors.dashboard` (every figure, the department
ranking, regions, top items, the monthly trend); median (p50) and p95 of R runs after two warm-up runs, with
the CPU time of this process. `page_ms` — the same through the full page (GET /stats/ with Django's test
client: view, template, chart JSON). `partial_ms` — a period with partial months at both ends (whole months
from StatDepartmentMonth, the edge days from StatDay).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PG_DEFAULT = "postgres://postgres@127.0.0.1:5432/onetrip_bench_stats"
COUNTIES = 10
DEPARTMENTS = 30  # per county
ITEMS = 600  # per county
BUNDLES = 20
CHUNK = 1_000_000
# Ratings on 30 % of completions: level and the band of the random number that gives it.
RATING_BANDS = (
    (5, "u9 < 0.70"),
    (4, "u9 >= 0.70 AND u9 < 0.90"),
    (3, "u9 >= 0.90 AND u9 < 0.96"),
    (2, "u9 >= 0.96 AND u9 < 0.99"),
    (1, "u9 >= 0.99"),
)


def _setup() -> Any:
    """The city, its counties and departments, and the city's supervisor; returns the supervisor."""
    from onetrip.orgs.models import Department, Region, RegionLevel, Role, RoleAssignment, User

    province = Region.objects.create(code="330000000000", name="浙江省", level=RegionLevel.PROVINCE)
    city = Region.objects.create(code="331100000000", name="丽水市", level=RegionLevel.CITY, parent=province)
    counties = Region.objects.bulk_create(
        Region(code=f"3311{c + 2:02d}000000", name=f"县区{c + 1}", level=RegionLevel.COUNTY, parent=city)
        for c in range(COUNTIES)
    )
    Department.objects.bulk_create(
        Department(
            code=f"bench-{c}-{d}",
            name=f"县区{c + 1}第{d + 1}局",
            uscc=f"B{c * DEPARTMENTS + d:017d}",
            level=3,
            region=county,
        )
        for c, county in enumerate(counties)
        for d in range(DEPARTMENTS)
    )
    boss = User.objects.create(username="bench-paogaiban", display_name="跑改办")
    RoleAssignment.objects.create(user=boss, role=Role.SUPERVISOR, region=city)
    return boss


def _generate(cursor: Any, first: int, last: int, today: str, window: tuple[int, int]) -> None:
    """Synthetic cases first…last, accepted between `window` days before today (oldest, newest), into a
    temporary table, then added to both rollups."""
    from onetrip.stats.models import COUNTERS, HISTOGRAM_RANGES, StatDay, StatDepartmentMonth, StatItemMonth
    from onetrip.stats.services import DAY_KEYS, DEPARTMENT_MONTH_KEYS, MONTH_KEYS, upsert_sql

    cursor.execute("DROP TABLE IF EXISTS bench_cases")
    cursor.execute(
        f"""
        CREATE TEMP TABLE bench_cases AS
        WITH r AS (
            SELECT i, random() u1, random() u2, random() u3, random() u4, random() u5, random() u6,
                   random() u7, random() u8, random() u9
            FROM generate_series({first}, {last}) i
        ), c AS (
            SELECT i, u4, u6, u7, u8, u9,
                   floor(u1 * {COUNTIES})::int AS county,
                   u2 < 0.05 AS is_bundle,
                   floor({ITEMS} * u3 * u3 * u3)::int AS k,
                   1 + floor({BUNDLES} * u3 * u3)::int AS b,
                   DATE '{today}' - {window[0]} + floor({window[0] - window[1]} * u5)::int AS day_a,
                   u6 < 0.01 AS refused,
                   least(floor(-ln(1 - u7) * 3)::int, 150) AS d
            FROM r
        ), f AS (
            SELECT c.*,
                   CASE WHEN is_bundle THEN 0 ELSE 1 + county * {ITEMS} + k END AS item_id,
                   CASE WHEN is_bundle THEN b ELSE 0 END AS bundle_id,
                   CASE WHEN is_bundle THEN b % {DEPARTMENTS} ELSE k % {DEPARTMENTS} END AS dept,
                   3 + (CASE WHEN is_bundle THEN b ELSE k END) % 7 AS promised,
                   (CASE WHEN is_bundle THEN b ELSE k END) % 10 < 7 AS has_statutory,
                   day_a + (d * 7 / 5) AS day_c,
                   CASE WHEN u4 < 0.55 THEN 'online' WHEN u4 < 0.85 THEN 'mobile'
                        WHEN u4 < 0.97 THEN 'window' ELSE 'proxy' END AS channel
            FROM c
        )
        SELECT f.*, NOT refused AND u9 < 0.97 AND day_c <= DATE '{today}' AS done,
               (CASE WHEN channel = 'window' THEN 1 ELSE 0 END) + (CASE WHEN u8 < 0.06 THEN 1 ELSE 0 END) AS trips
        FROM f
        """
    )
    cursor.execute("SELECT id, region_id FROM orgs_department WHERE code LIKE 'bench-%%' ORDER BY id")
    depts = cursor.fetchall()
    cursor.execute("SELECT id FROM orgs_region WHERE level = 3 ORDER BY code")
    regions = [r[0] for r in cursor.fetchall()]
    cursor.execute("DROP TABLE IF EXISTS bench_dims")
    cursor.execute(
        "CREATE TEMP TABLE bench_dims (county int, dept int, department_id bigint, region_id bigint)"
    )
    cursor.executemany(
        "INSERT INTO bench_dims VALUES (%s, %s, %s, %s)",
        [
            (n // DEPARTMENTS, n % DEPARTMENTS, pk, regions[n // DEPARTMENTS])
            for n, (pk, _) in enumerate(depts)
        ],
    )
    acceptance = {
        "accepted": "(NOT refused)::int",
        "accepted_bundle": "(NOT refused AND is_bundle)::int",
        "accepted_deficient": "(NOT refused AND u8 > 0.98)::int",
        "ch_online": "(NOT refused AND channel = 'online')::int",
        "ch_mobile": "(NOT refused AND channel = 'mobile')::int",
        "ch_window": "(NOT refused AND channel = 'window')::int",
        "ch_proxy": "(NOT refused AND channel = 'proxy')::int",
        "materials_avoided": "CASE WHEN refused THEN 0 WHEN is_bundle THEN 8 ELSE floor(u8 * 3)::int END",
        "fields_avoided": "CASE WHEN refused THEN 0 WHEN is_bundle THEN 20 ELSE floor(u8 * 5)::int END",
        "steps_avoided": "CASE WHEN NOT refused AND is_bundle THEN 4 ELSE 0 END",
        "refused": "refused::int",
        "warned": "(NOT refused AND u7 > 0.97)::int",
        "overdue": "(NOT refused AND u7 > 0.99)::int",
    }
    completion = {
        "completed": "done::int",
        "rejected": "(done AND u6 > 0.99)::int",
        "with_promise": "done::int",
        "on_time": "(done AND d <= promised)::int",
        "days_n": "done::int",
        "days_sum": "CASE WHEN done THEN d ELSE 0 END",
        "promised_days_sum": "CASE WHEN done THEN promised ELSE 0 END",
        "statutory_n": "(done AND has_statutory)::int",
        "statutory_days_sum": "CASE WHEN done AND has_statutory THEN 3 * promised ELSE 0 END",
        "statutory_actual_sum": "CASE WHEN done AND has_statutory THEN d ELSE 0 END",
        "statutory_promised_sum": "CASE WHEN done AND has_statutory THEN promised ELSE 0 END",
        "trips_sum": "CASE WHEN done THEN trips ELSE 0 END",
        "trips_zero": "(done AND trips = 0)::int",
        "trips_one": "(done AND trips = 1)::int",
    }
    for name, (lo, hi) in HISTOGRAM_RANGES.items():
        completion[name] = f"(done AND d >= {lo}" + ("" if hi is None else f" AND d <= {hi}") + ")::int"
    for level, cond in RATING_BANDS:
        completion[f"rated_{level}"] = f"(done AND u8 < 0.3 AND {cond})::int"
    completion["rated_onsite"] = "0"

    def part(day: str, exprs: dict[str, str], where: str) -> str:
        cols = ", ".join(exprs.get(c, "0") + f" AS {c}" for c in COUNTERS)
        return (
            f"SELECT {day} AS day, m.region_id, m.department_id, x.item_id, x.bundle_id, {cols} "
            f"FROM bench_cases x JOIN bench_dims m ON m.county = x.county AND m.dept = x.dept WHERE {where}"
        )

    source = f"({part('day_a', acceptance, 'TRUE')} UNION ALL {part('day_c', completion, 'done')}) s"
    sums = ", ".join(f"SUM({c})" for c in COUNTERS)
    head, tail = upsert_sql(StatDay, DAY_KEYS)
    cursor.execute(
        f"{head} SELECT day, region_id, department_id, {sums} FROM {source} GROUP BY 1, 2, 3 {tail}"
    )
    head, tail = upsert_sql(StatDepartmentMonth, DEPARTMENT_MONTH_KEYS)
    cursor.execute(
        f"{head} SELECT date_trunc('month', day)::date, region_id, department_id, {sums} "
        f"FROM {source} GROUP BY 1, 2, 3 {tail}"
    )
    head, tail = upsert_sql(StatItemMonth, MONTH_KEYS)
    cursor.execute(
        f"{head} SELECT date_trunc('month', day)::date, region_id, department_id, item_id, bundle_id, {sums} "
        f"FROM {source} GROUP BY 1, 2, 3, 4, 5 {tail}"
    )


def _timed(fn: Any, runs: int) -> tuple[list[float], float]:
    for _ in range(2):
        fn()
    times = []
    cpu0 = time.process_time()
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    return times, (time.process_time() - cpu0) * 1000 / runs


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(0.95 * len(ordered)) - 1))]


def run_child(cases: int, runs: int) -> dict[str, Any]:
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection, transaction
    from django.test import Client

    from onetrip.core import clock
    from onetrip.stats import present, selectors
    from onetrip.stats.models import StatDay, StatDepartmentMonth, StatItemMonth
    from onetrip.workdays.core import SHANGHAI

    call_command("migrate", verbosity=0)
    boss = _setup()
    today = clock.now().astimezone(SHANGHAI).date()
    t0 = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("SELECT setseed(0.42)")
        # Chunks in time order, as cases arrive: each adds the rows of its own days and updates only the
        # month rows (and completion days) it shares with the chunk before.
        chunks = list(range(1, cases + 1, CHUNK))
        for n, first in enumerate(chunks):
            window = (365 - 365 * n // len(chunks), 365 - 365 * (n + 1) // len(chunks))
            with transaction.atomic():
                _generate(cursor, first, min(first + CHUNK - 1, cases), today.isoformat(), window)
        cursor.execute("DROP TABLE IF EXISTS bench_cases")
    generate_s = time.perf_counter() - t0
    with connection.cursor() as cursor:
        for model in (StatDay, StatDepartmentMonth, StatItemMonth):
            cursor.execute(f"VACUUM ANALYZE {model._meta.db_table}")
    rows = {m: m.objects.count() for m in (StatDay, StatDepartmentMonth, StatItemMonth)}

    def dashboard() -> Any:
        access = selectors.stats_access(boss)
        f = selectors.stats_filter(access=access, today=today)
        board = selectors.dashboard(access=access, f=f, today=today)
        present.cards(board)
        present.chart_data(board)
        return board

    board = dashboard()
    assert board.figures["accepted"] > 0.85 * cases, board.figures["accepted"]
    times, cpu_ms = _timed(dashboard, runs)

    partial_from = today.replace(day=1) - dt.timedelta(days=75)  # mid-month, three months back

    def partial() -> Any:
        access = selectors.stats_access(boss)
        f = selectors.stats_filter(access=access, today=today, date_from=partial_from, date_to=today)
        return selectors.dashboard(access=access, f=f, today=today)

    partial_times, _ = _timed(partial, runs)

    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    client = Client()
    client.force_login(boss)

    def page() -> None:
        response = client.get("/stats/")
        assert response.status_code == 200, response.status_code

    page_times, _ = _timed(page, max(5, runs // 2))
    g = board.figures
    return {
        "cases": cases,
        "rollup_rows": sum(rows.values()),
        "dashboard_ms": round(statistics.median(times), 1),
        "dashboard_p95_ms": round(_p95(times), 1),
        "dashboard_cpu_ms": round(cpu_ms, 1),
        "page_ms": round(statistics.median(page_times), 1),
        "partial_ms": round(statistics.median(partial_times), 1),
        "day_rows": rows[StatDay],
        "department_month_rows": rows[StatDepartmentMonth],
        "item_month_rows": rows[StatItemMonth],
        "generate_s": round(generate_s, 1),
        "runs": runs,
        "figures": {
            "accepted": g["accepted"],
            "completed": g["completed"],
            "on_time_rate": str(g["on_time_rate"]),
            "mean_days": str(g["mean_days"]),
            "p90_days": str(g["p90_days"]),
            "departments": len(board.departments),
        },
    }


def _pg_fresh(url: str) -> None:
    import psycopg

    name = url.rsplit("/", 1)[1]
    if "bench" not in name:
        sys.exit(f"refusing to drop database {name!r}: the benchmark database name must contain 'bench'")
    admin = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')


def measure(*, cases: int = 10_000_000, runs: int = 20, database_url: str | None = None) -> dict[str, Any]:
    """Build the rollups for `cases` synthetic cases in a fresh bench database and time the dashboard."""
    url = database_url or os.environ.get("STATS_BENCH_DATABASE_URL") or PG_DEFAULT
    _pg_fresh(url)
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    with tempfile.TemporaryDirectory(prefix="onetrip-bench-") as var_dir:
        env.update(
            DJANGO_SETTINGS_MODULE="onetrip.settings",
            LOG_LEVEL="ERROR",
            ONETRIP_VAR_DIR=var_dir,
            DATABASE_URL=url,
        )
        done = subprocess.run(
            [sys.executable, __file__, "--child", "--cases", str(cases), "--runs", str(runs)],
            env=env,
            cwd=ROOT,
            capture_output=True,
            text=True,
        )
    if done.returncode != 0:
        sys.stderr.write(done.stderr)
        raise RuntimeError("the dashboard benchmark failed")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=10_000_000)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(run_child(args.cases, args.runs), ensure_ascii=False), flush=True)
        return
    print(json.dumps(measure(cases=args.cases, runs=args.runs), ensure_ascii=False))


if __name__ == "__main__":
    main()

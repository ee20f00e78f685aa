"""好差评 at scale: the rating write path and the scoped reads on PostgreSQL with millions of ratings.

Run from the repository root with a PostgreSQL server: `.venv/bin/python bench/ratings.py [--ratings N]`
(default 1,000,000; DATABASE_URL defaults to postgres://postgres@127.0.0.1:5432/h_ratings_bench, dropped,
recreated and migrated). N completed cases (plus 10% unrated) of 20,000 applicants in 200 departments are
generated in SQL, rated 5…1 (8% bad, each with a rectification; one in `--open-every` (100) still open and past due), then:

- rate_ms / rate_bad_ms      case_rate on an unrated case through the service (checks, rating, audit, statistics
                             fact; the bad one also opens the rectification with its deadlines and notifies)
- dept_page_ms               a department leader's first page of ratings (50)
- dept_bad_page_ms           … of bad ratings only
- region_page_ms             a county supervisor's first page of the region's ratings
- deep_page_ms               a department page far down (keyset `before`)
- mine_ms                    an applicant's own ratings and completed cases awaiting a rating
- rectification_inbox_ms     a department's open rectifications
- sweep_s / swept            one sweep flagging and notifying every overdue call-back and rectification
- sweep_idle_ms              the sweep again when nothing is newly due (what it costs every few minutes)
- seq_scans                  list queries whose plan reads ratings or cases sequentially (should be 0)

Medians of repeated calls; `cpu_ms` fields are this process's CPU (the server's work is the rest).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
URL = os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/h_ratings_bench")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "onetrip.settings")
os.environ.setdefault("ONETRIP_VAR_DIR", "/tmp/h_ratings_bench")

DEPARTMENTS = 200
APPLICANTS = 20_000
RUNS = 30


def _recreate_database() -> None:
    import psycopg

    base, _, name = URL.rpartition("/")
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def _timed(fn: Callable[[], Any], runs: int = RUNS) -> tuple[float, float]:
    """Median wall ms and median process CPU ms of `fn`."""
    walls, cpus = [], []
    for _ in range(runs):
        w, c = time.perf_counter(), time.process_time()
        fn()
        walls.append((time.perf_counter() - w) * 1000)
        cpus.append((time.process_time() - c) * 1000)
    return round(statistics.median(walls), 2), round(statistics.median(cpus), 2)


def _generate(n: int, open_every: int) -> dict[str, Any]:
    """Departments, applicants, cases and ratings in bulk SQL, from one real completed case as template."""
    from django.db import connection

    from onetrip.catalog.tests import factories as f
    from onetrip.orgs.models import Department
    from onetrip.ratings.tests.builders import completed_case

    template = completed_case()
    region = template.lead_department.region
    for _ in range(DEPARTMENTS - 1):
        f.make_department(region=region)
    dept_ids = list(Department.objects.filter(region=region).order_by("pk").values_list("pk", flat=True))
    total = n + n // 10
    with connection.cursor() as cur:
        cur.execute(
            """
            INSERT INTO orgs_user (password, is_superuser, username, first_name, last_name, email, is_staff,
                is_active, date_joined, display_name, phone, id_number, applicant_kind, organisation_code,
                organisation_name)
            SELECT '!', false, 'bench' || g, '', '', '', false, true, now(), '申请人' || g, '', '', 'citizen', '', ''
            FROM generate_series(1, %s) g
            """,
            [APPLICANTS],
        )
        cur.execute("SELECT min(id) FROM orgs_user WHERE username LIKE 'bench%%'")
        first_user = cur.fetchone()[0]
        cur.execute(
            """
            INSERT INTO intake_application (applicant_id, item_id, item_version_id, channel, proxy_authorisation,
                chosen_members, answers, form_data, prefilled, status, revision, created_at, updated_at)
            SELECT %s + g %% %s, a.item_id, a.item_version_id, 'online', '{}', '[]', '{}', '{}', '{}',
                'submitted', 1, now(), now()
            FROM generate_series(1, %s) g, intake_application a WHERE a.id = %s
            """,
            [first_user, APPLICANTS, total, template.application_id],
        )
        cur.execute("SELECT min(id) FROM intake_application WHERE id <> %s", [template.application_id])
        first_app = cur.fetchone()[0]
        cur.execute(
            """
            INSERT INTO intake_case (number, application_id, idempotency_key, applicant_id, applicant_name,
                item_version_id, title, lead_department_id, region_id, channel, trips, status, submission,
                submitted_at, accept_due_at, accepted_at, deemed_accepted, promised_due_at, due_provisional,
                result_held, completed_at, row_version)
            SELECT '331102-2025-' || lpad(g::text, 8, '0'), %s + g - 1, 'bench-' || g, %s + g %% %s, '申请人',
                c.item_version_id, c.title, (%s::bigint[])[1 + g %% %s], c.region_id, 'online', 0, 'completed', 1,
                c.submitted_at - (g || ' minutes')::interval, c.accept_due_at, c.accepted_at, false,
                c.promised_due_at, false, false, c.completed_at - (g || ' minutes')::interval, 1
            FROM generate_series(1, %s) g, intake_case c WHERE c.id = %s
            """,
            [first_app, first_user, APPLICANTS, dept_ids, len(dept_ids), total, template.pk],
        )
        # Rate n of them (the rest stay unrated): 8% bad (levels 1, 2), the others 3…5.
        cur.execute(
            """
            INSERT INTO ratings_rating (case_id, rater_id, department_id, level, comment, kind, status, created_at)
            SELECT c.id, c.applicant_id, c.lead_department_id,
                CASE WHEN c.id %% 25 = 0 THEN 1 WHEN c.id %% 25 = 1 THEN 2 ELSE 3 + c.id %% 3 END,
                '', 'initial', 'valid', c.completed_at + interval '1 hour'
            FROM intake_case c WHERE c.idempotency_key LIKE 'bench-%%' AND c.id %% 11 <> 0
            ORDER BY c.id LIMIT %s
            """,
            [n],
        )
        # Every bad rating has its rectification: closed long ago, except 1% still open and now past due.
        cur.execute(
            """
            INSERT INTO ratings_rectification (rating_id, department_id, status, opened_at, callback_days,
                rectify_days, callback_due_at, rectify_due_at, due_provisional, callback_note, rectify_note,
                callback_overdue, rectify_overdue, closed_at)
            SELECT r.id, r.department_id, CASE WHEN r.id %% %s = 0 THEN 'callback' ELSE 'closed' END,
                r.created_at, 1, 15, r.created_at + interval '1 day', r.created_at + interval '21 days', false,
                '', '', false, false, CASE WHEN r.id %% %s = 0 THEN NULL ELSE r.created_at + interval '5 days' END
            FROM ratings_rating r WHERE r.level <= 2
            """,
            [open_every, open_every],
        )
        cur.execute("ANALYZE")
    return {"template": template, "departments": dept_ids, "total_cases": total}


def _plans_with_seq_scan(queries: list[Any]) -> int:
    from django.db import connection

    bad = 0
    for qs in queries:
        sql, params = qs.query.sql_with_params()
        with connection.cursor() as cur:
            cur.execute("EXPLAIN " + sql, params)
            plan = "\n".join(row[0] for row in cur.fetchall())
        if any(
            f"Seq Scan on {t}" in plan for t in ("ratings_rating", "intake_case", "ratings_rectification")
        ):
            bad += 1
            print(plan, file=sys.stderr)
    return bad


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--ratings", type=int, default=1_000_000)
    parser.add_argument("--open-every", type=int, default=100, help="one bad rating in this many still open")
    args = parser.parse_args()
    _recreate_database()
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)

    from django.db.models import Exists, OuterRef

    from onetrip.intake.models import Case
    from onetrip.orgs.models import Department, Role, RoleAssignment, User
    from onetrip.ratings import selectors, services
    from onetrip.ratings.models import Rating, RectificationStatus
    from onetrip.ratings.tests.builders import RATED_AT, leader, supervisor

    started = time.perf_counter()
    data = _generate(args.ratings, args.open_every)
    generate_s = round(time.perf_counter() - started, 1)
    department = Department.objects.get(pk=data["departments"][7])
    chief = leader(department)
    boss = supervisor(region=department.region)
    RoleAssignment.objects.get_or_create(user=chief, role=Role.LEADER, department=department)

    unrated = iter(
        Case.objects.filter(idempotency_key__startswith="bench-")
        .exclude(ratings__isnull=False)
        .select_related("lead_department__region")
        .order_by("pk")[: 2 * RUNS]
    )

    def rate(level: int) -> Callable[[], Any]:
        def go() -> Any:
            case = next(unrated)
            return services.case_rate(
                case=case,
                rater=User(pk=case.applicant_id),
                level=level,
                comment="差" if level < 3 else "",
                now=RATED_AT,
            )

        return go

    rate_ms, rate_cpu = _timed(rate(5))
    rate_bad_ms, rate_bad_cpu = _timed(rate(1))

    in_department = Rating.objects.filter(department=department)
    last_id = in_department.order_by("pk").values_list("pk", flat=True)[in_department.count() // 2]
    applicant = User.objects.filter(username="bench7").get()
    figures: dict[str, Any] = {
        "ratings": Rating.objects.count(),
        "cases": data["total_cases"],
        "generate_s": generate_s,
    }
    figures.update(
        {
            "rate_ms": rate_ms,
            "rate_cpu_ms": rate_cpu,
            "rate_bad_ms": rate_bad_ms,
            "rate_bad_cpu_ms": rate_bad_cpu,
        }
    )
    for name, fn in (
        ("dept_page_ms", lambda: selectors.ratings_page(user=chief, limit=50).rows),
        ("dept_bad_page_ms", lambda: selectors.ratings_page(user=chief, limit=50, bad_only=True).rows),
        ("region_page_ms", lambda: selectors.ratings_page(user=boss, limit=50).rows),
        ("deep_page_ms", lambda: selectors.ratings_page(user=chief, before=last_id, limit=50).rows),
        (
            "mine_ms",
            lambda: (
                selectors.ratings_page(user=applicant, mine=True, limit=20).rows,
                selectors.cases_awaiting_rating(user=applicant),
            ),
        ),
        ("rectification_inbox_ms", lambda: selectors.rectifications_page(user=chief, status="open").rows),
    ):
        figures[name] = _timed(fn)[0]
    # Every open rectification is past due 60 days after the ratings: one sweep flags them all, then the
    # sweep that runs every few minutes finds nothing new.
    later = RATED_AT + dt.timedelta(days=60)
    w, c = time.perf_counter(), time.process_time()
    report = services.ratings_sweep(now=later)
    figures["sweep_s"] = round(time.perf_counter() - w, 2)
    figures["sweep_cpu_s"] = round(time.process_time() - c, 2)
    figures["swept"] = report.callbacks_overdue + report.rectifications_overdue
    figures["sweep_idle_ms"] = _timed(lambda: services.ratings_sweep(now=later), runs=10)[0]
    from onetrip.ratings.models import Rectification

    figures["open_rectifications"] = Rectification.objects.filter(
        status__in=[RectificationStatus.AWAITING_CALLBACK, RectificationStatus.RECTIFYING]
    ).count()
    figures["seq_scans"] = _plans_with_seq_scan(
        [
            Rating.objects.filter(department=department).order_by("-pk")[:51],
            Rating.objects.filter(department=department, level__in=[1, 2]).order_by("-pk")[:51],
            selectors.reader_scope(boss).filter(Rating.objects.all()).order_by("-pk")[:51],
            Rating.objects.filter(rater=applicant).order_by("-pk")[:21],
            Case.objects.filter(applicant=applicant, status="completed")
            .filter(~Exists(Rating.objects.filter(case=OuterRef("pk"), kind="initial")))
            .order_by("-submitted_at", "-id")[:20],
        ]
    )
    print(json.dumps(figures), flush=True)


if __name__ == "__main__":
    main()

"""Persisted workflow throughput: full case lifecycles per second with every step committed to PostgreSQL.

Run from the repository root with a PostgreSQL server: `.venv/bin/python bench/flow_persisted.py`
(DATABASE_URL defaults to postgres://postgres@127.0.0.1:5432/onetrip_bench_flow; the database is dropped
and recreated, then migrated). A published bundle of N member items (each item's process: accept → review →
decide, each step of its own department) is dispatched and worked to the end through the services:
dispatch, then every open task approved by a handler of its department with the expected version, one
transaction each (row lock, version check, state, task rows, events, case status, SM3-chained audit record),
then the lead department's 统一出件. Prints one JSON line per N: {"n", "cases", "lifecycles_per_s",
"actions_per_s", "ms_per_action", "state_bytes_max"}. Case creation is not timed.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
URL = os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/onetrip_bench_flow")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "onetrip.settings")
os.environ.setdefault("ONETRIP_VAR_DIR", "/tmp/onetrip_bench_flow")

SIZES = tuple(
    (int(n), int(c))
    for n, c in (s.split(":") for s in os.environ.get("BENCH_SIZES", "3:40,10:15").split(","))
)  # (members, cases)


def _recreate_database() -> None:
    import psycopg

    base, _, name = URL.rpartition("/")
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')


def main() -> None:
    _recreate_database()
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)

    from onetrip.flow import services
    from onetrip.flow.models import ProcessInstanceRecord, TaskRecord, TaskStatus
    from onetrip.flow.tests.casebuilders import NOW, accepted, staff
    from onetrip.intake.models import Application, Case
    from onetrip.intake.tests import factories as itf

    for members, count in SIZES:
        bundle = itf.make_intake_bundle(members=members)
        template = itf.make_submitted_case(bundle=bundle)
        clerk = itf.make_clerk(region=template.region)
        cases = []
        for i in range(count):
            app = Application.objects.get(pk=template.application_id)
            app.pk = None
            app.save()
            case = Case.objects.get(pk=template.pk)
            case.pk, case.application, case.idempotency_key = None, app, f"bench-{members}-{i}"
            case.number = None
            case.save()
            cases.append(accepted(case))
        handlers: dict[int, object] = {}
        actions = 0
        state_max = 0
        start = time.perf_counter()
        for case in cases:
            record = services.case_dispatch(case=case, actor=clerk, now=NOW)
            actions += 1
            while True:
                task = (
                    TaskRecord.objects.filter(case=case, status=TaskStatus.OPEN)
                    .select_related("department")
                    .order_by("task_id")
                    .first()
                )
                if task is None:
                    break
                user = handlers.get(task.department_id)
                if user is None:
                    user = handlers[task.department_id] = staff(task.department)
                record = services.task_approve(
                    task=task,
                    actor=user,
                    now=NOW,
                    expected_version=record.version,  # type: ignore[arg-type]
                )
                actions += 1
                state_max = max(state_max, len(json.dumps(record.state, separators=(",", ":"))))
        elapsed = time.perf_counter() - start
        assert ProcessInstanceRecord.objects.filter(case__in=cases, status="completed").count() == count
        print(
            json.dumps(
                {
                    "n": members,
                    "cases": count,
                    "actions_per_case": actions // count,
                    "lifecycles_per_s": round(count / elapsed, 2),
                    "actions_per_s": round(actions / elapsed, 1),
                    "ms_per_action": round(elapsed * 1000 / actions, 2),
                    "state_bytes_max": state_max,
                }
            ),
            flush=True,
        )


if __name__ == "__main__":
    main()

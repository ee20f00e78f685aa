"""Supervision sweep benchmark (issue 8): one sweep over N generated tasks of which `due` are newly due.

Run from the repository root: `.venv/bin/python bench/supervision_sweep.py [--tasks N] [--due D]`
(default 1,000,000 tasks for a trial; the recorded run is `--tasks 10000000`). Prints one JSON line
{"tasks", "due", "sweep_s", "sweep_cpu_s", "notifications", ...}; `bench/supervision.py` imports `measure`.

PostgreSQL only, in its own database (SWEEP_BENCH_DATABASE_URL, default
postgres://postgres@127.0.0.1:5432/onetrip_bench_sweep; dropped and created afresh, the name must contain
"bench"), in a child process. Set-up (not timed): migrate; one county with 50 departments, each with two
handlers and a leader with phone numbers — an SMS gateway URL is configured, so every notification also
queues an SMS dispatch, as Dongyang's reminders are text messages —; the global rule (5/7) and
a government-reply rule (10/15, reminders from day 10 at 09:00/12:00/17:00) on a second item. Then, in SQL
(generate_series, 1,000,000 rows per statement): applications, cases and flow instances (100 tasks per
instance), and N task rows already watched by earlier sweeps — 70 % closed, 30 % open with their next point
still ahead — except `due` rows spread evenly through the table whose point has come at the benchmark's
instant (Wednesday 13 May 2026 12:05): 40 % reach their warning (green → yellow), 40 % their overdue point
(yellow → red), 20 % under the government-reply rule are due their noon reminder. Half are claimed by a
handler, half are the department's (every handler is told). The open tasks have their `TaskWatch` rows.
Then VACUUM ANALYZE. `--reuse` keeps the database of an earlier run of the same size and only puts the due
rows back (and deletes what the earlier sweep wrote): minutes instead of a quarter of an hour at 10 M.

`calibration_s`: a fixed pure-Python loop timed just before the sweep, to tell a slow machine from a slow sweep.
Timed (`sweep_s`, wall; `sweep_cpu_s`, this process): `supervision_sweep(now=…, threads=2)` (`--threads`; 2 is
the default of SUPERVISION_SWEEP_THREADS) — every batch: the rows taken
with FOR UPDATE SKIP LOCKED by (watch_at, id), their points recomputed from the rules with the calendar, the
new watch state written, the notifications (inbox rows and SMS dispatches through notify_send_many), the
stats facts and the overdue records — each batch committed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PG_DEFAULT = "postgres://postgres@127.0.0.1:5432/onetrip_bench_sweep"
DEPARTMENTS = 50
TASKS_PER_INSTANCE = 100
CHUNK = 1_000_000


def _instant() -> dt.datetime:
    from onetrip.workdays.core import SHANGHAI

    return dt.datetime(2026, 5, 13, 12, 5, tzinfo=SHANGHAI)


def _created_for(calendar: Any, now: dt.datetime, first: int, second: int) -> dt.datetime:
    """A creation instant (10:00 local) whose `first`-working-day point has passed at `now` and whose
    `second` point has not."""
    from onetrip.workdays.core import SHANGHAI, Unit

    day = now.astimezone(SHANGHAI).date()
    for _ in range(60):
        day -= dt.timedelta(days=1)
        created = dt.datetime.combine(day, dt.time(10), SHANGHAI)
        if (
            calendar.add(created, first, Unit.WORKING).at
            <= now
            < calendar.add(created, second, Unit.WORKING).at
        ):
            return created
    raise RuntimeError("no creation day fits")


def _setup() -> dict[str, Any]:
    from onetrip.catalog.tests import factories as f
    from onetrip.flow.models import ProcessDefinitionRecord, ProcessInstanceRecord
    from onetrip.intake.models import Application, Case
    from onetrip.orgs.models import RegionLevel, Role, RoleAssignment, User
    from onetrip.supervision.models import AlertRule

    now = _instant()
    region = f.make_region(code="331102000000", name="莲都区", level=RegionLevel.COUNTY)
    departments = [f.make_department(name=f"莲都区第{n + 1}局", region=region) for n in range(DEPARTMENTS)]
    staff: list[tuple[int, int, int, int]] = []  # department index, department id, first handler, leader
    for n, department in enumerate(departments):
        ids = []
        for k, role in enumerate((Role.HANDLER, Role.HANDLER, Role.LEADER)):
            user = User.objects.create(
                username=f"bench-{n}-{k}", display_name=f"工作人员{n}-{k}", phone=f"1390000{n:02d}{k:02d}"
            )
            RoleAssignment.objects.create(user=user, role=role, department=department)
            ids.append(user.pk)
        staff.append((n, department.pk, ids[0], ids[2]))
    item = f.make_item(department=departments[0], name="示范事项")
    government = f.make_item(department=departments[1], name="向区政府请示报告事项")
    AlertRule.objects.create(
        item=government,
        warn_after_days=10,
        overdue_after_days=15,
        remind_from_days=10,
        updated_at=now,
    )
    applicant = User.objects.create(username="bench-applicant", display_name="申请人")
    version = item.versions.get(version=1)
    application = Application.objects.create(
        applicant=applicant, item=item, item_version=version, channel="online", status="submitted"
    )
    case = Case.objects.create(
        application=application,
        idempotency_key="bench-template",
        applicant=applicant,
        applicant_name="申请人",
        item_version=version,
        title="示范事项",
        lead_department=departments[0],
        region=region,
        channel="online",
        status="in_progress",
        submitted_at=now - dt.timedelta(days=30),
        accept_due_at=now - dt.timedelta(days=23),
        accepted_at=now - dt.timedelta(days=30),
        number="BENCH-0",
    )
    definition = ProcessDefinitionRecord.objects.create(
        key="item:bench", version=1, source={"steps": [], "transitions": []}
    )
    instance = ProcessInstanceRecord.objects.create(
        case=case,
        definition=definition,
        state={"f": 1, "d": ["item:bench", 1], "v": 1, "s": "running", "n": 101, "t0": 0},
        version=1,
        status="running",
        started_at=now - dt.timedelta(days=30),
    )
    return {"application": application.pk, "case": case.pk, "instance": instance.pk, "staff": staff}


def _clone(cursor: Any, model: Any, template: int, count: int, overrides: dict[str, str]) -> int:
    """Copy the template row `count` times with `overrides` (SQL over g = 1..count); returns the id base."""
    table = model._meta.db_table
    cursor.execute(f"SELECT max(id) FROM {table}")
    base = cursor.fetchone()[0]
    columns = [f.column for f in model._meta.concrete_fields]
    select = [overrides.get(c, f"t.{c}") for c in columns]
    for first in range(1, count + 1, CHUNK):
        last = min(count, first + CHUNK - 1)
        cursor.execute(
            f"INSERT INTO {table} ({', '.join(columns)}) SELECT {', '.join(select)} "
            f"FROM {table} t, generate_series({first}, {last}) g WHERE t.id = {template}"
        )
    cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
    return base


def _params() -> dict[str, Any]:
    """The instants and rules the generated rows use: three creation instants (and their points) that make a
    row due at the benchmark's instant as a warning, an overdue point or a noon reminder."""
    from onetrip.supervision.models import AlertRule
    from onetrip.workdays.core import Unit
    from onetrip.workdays.selectors import calendar_current

    now = _instant()
    calendar = calendar_current()
    standard = AlertRule.objects.get(item__isnull=True)
    government = AlertRule.objects.get(item__isnull=False, remind_from_days__isnull=False)
    out: dict[str, Any] = {
        "now": now,
        "noon": dt.datetime.combine(now.date(), dt.time(12), now.tzinfo),
        "global": standard.pk,
        "gov": government.pk,
    }
    for key, rule, first, second in (
        ("y", standard, standard.warn_after_days, standard.overdue_after_days),
        ("r", standard, standard.overdue_after_days, 60),
        ("g", government, government.warn_after_days, government.overdue_after_days),
    ):
        created = _created_for(calendar, now, first, second)
        out[f"c{key}"] = created
        out[f"w{key}"] = calendar.add(created, rule.warn_after_days, Unit.WORKING).at
        out[f"o{key}"] = calendar.add(created, rule.overdue_after_days, Unit.WORKING).at
    return out


# The watch rows of the open tasks, as earlier sweeps left them (g: the row number, k: its due number or 0).
WATCH = {
    "alert": "CASE WHEN k = 0 OR mod(k, 5) < 2 THEN 'green' ELSE 'yellow' END",
    "warn_at": """CASE WHEN k = 0 THEN %(now)s + interval '1 hour' * (1 + mod(g, 100))
                       WHEN mod(k, 5) < 2 THEN %(wy)s WHEN mod(k, 5) < 4 THEN %(wr)s ELSE %(wg)s END""",
    "overdue_at": """CASE WHEN k = 0 THEN %(now)s + interval '1 hour' * (50 + mod(g, 100))
                          WHEN mod(k, 5) < 2 THEN %(oy)s WHEN mod(k, 5) < 4 THEN %(or)s ELSE %(og)s END""",
    "watch_at": """CASE WHEN k = 0 THEN %(now)s + interval '1 hour' * (1 + mod(g, 100))
                        WHEN mod(k, 5) < 2 THEN %(wy)s WHEN mod(k, 5) < 4 THEN %(or)s ELSE %(noon)s END""",
    "rule_id": "CASE WHEN k > 0 AND mod(k, 5) = 4 THEN %(gov)s ELSE %(global)s END",
    "reminders": "CASE WHEN k > 0 AND mod(k, 5) = 4 THEN 1 ELSE 0 END",
}


def _generate(tasks: int, due: int, setup: dict[str, Any]) -> None:
    from django.db import connection

    from onetrip.flow.models import ProcessInstanceRecord, TaskRecord
    from onetrip.intake.models import Application, Case
    from onetrip.supervision.models import TaskWatch

    cases = tasks // TASKS_PER_INSTANCE
    stride = tasks // due
    params = _params()
    with connection.cursor() as cursor:
        app_base = _clone(cursor, Application, setup["application"], cases, {"id": "t.id + g"})
        case_base = _clone(
            cursor,
            Case,
            setup["case"],
            cases,
            {
                "id": "t.id + g",
                "application_id": f"{app_base} + g",
                "idempotency_key": "'bench-' || g",
                "number": "'331102-2026-' || lpad(g::text, 8, '0')",
            },
        )
        _clone(
            cursor,
            ProcessInstanceRecord,
            setup["instance"],
            cases,
            {"id": "t.id + g", "case_id": f"{case_base} + g"},
        )
        cursor.execute(
            "CREATE TEMP TABLE bench_staff (idx int, department_id bigint, handler_id bigint, leader_id bigint)"
        )
        cursor.executemany("INSERT INTO bench_staff VALUES (%s, %s, %s, %s)", setup["staff"])
        inst_base = (
            ProcessInstanceRecord.objects.filter(case_id=case_base + 1).values_list("pk", flat=True).get() - 1
        )
        cursor.execute(f"SELECT coalesce(max(id), 0) FROM {TaskRecord._meta.db_table}")
        task_base = cursor.fetchone()[0]
        columns = {
            "id": f"{task_base} + g",
            "instance_id": f"{inst_base} + 1 + (g - 1) / {TASKS_PER_INSTANCE}",
            "case_id": f"{case_base} + 1 + (g - 1) / {TASKS_PER_INSTANCE}",
            "task_id": f"1 + mod(g - 1, {TASKS_PER_INSTANCE})",
            "kind": "'flow'",
            "step_code": "'review'",
            "step_name": "'审核'",
            "department_id": "s.department_id",
            "assignee_id": "CASE WHEN k > 0 AND mod(k, 2) = 0 THEN s.handler_id END",
            "delegator_id": "NULL",
            "candidate_role": "'handler'",
            "countersign": "false",
            "status": "CASE WHEN k = 0 AND mod(g, 10) < 7 THEN 'approved' ELSE 'open' END",
            "created_at": """CASE WHEN k = 0 THEN %(now)s - interval '1 hour' * mod(g, 240)
                                  WHEN mod(k, 5) < 2 THEN %(cy)s WHEN mod(k, 5) < 4 THEN %(cr)s ELSE %(cg)s END""",
            "due_at": "NULL",
            "closed_at": "CASE WHEN k = 0 AND mod(g, 10) < 7 THEN %(now)s - interval '1 minute' * mod(g, 1000) END",
            "closed_by_id": "NULL",
            "opinion": "''",
            "deemed": "false",
            "escalated": "false",
            "timed_out": "false",
            "reminders": "0",
            "watched": "true",
        }
        watch = {"task_id": f"{task_base} + g", **WATCH}
        for model, wanted in ((TaskRecord, columns), (TaskWatch, watch)):
            missing = {f.column for f in model._meta.concrete_fields} - set(wanted)
            if missing:
                raise RuntimeError(f"the generator does not know the columns {sorted(missing)} of {model}")
        for first in range(1, tasks + 1, CHUNK):
            last = min(tasks, first + CHUNK - 1)
            rows = f"""(SELECT g, CASE WHEN mod(g, {stride}) = 0 AND g / {stride} <= {due} THEN g / {stride}
                                     ELSE 0 END AS k
                        FROM generate_series({first}, {last}) g) AS r"""
            cursor.execute(
                f"""INSERT INTO {TaskRecord._meta.db_table} ({", ".join(columns)})
                    SELECT {", ".join(columns.values())}
                    FROM {rows} JOIN bench_staff s ON s.idx = mod(r.g, {DEPARTMENTS})""",
                params,
            )
            cursor.execute(
                f"""INSERT INTO {TaskWatch._meta.db_table} ({", ".join(watch)})
                    SELECT {", ".join(watch.values())} FROM {rows} WHERE k > 0 OR mod(g, 10) >= 7""",
                params,
            )
            print(f"generated {last:,} tasks", file=sys.stderr, flush=True)
        cursor.execute(
            f"SELECT setval(pg_get_serial_sequence('{TaskRecord._meta.db_table}', 'id'), {task_base + tasks})"
        )
        cursor.execute("VACUUM ANALYZE")


def _reset(tasks: int, due: int) -> None:
    """--reuse: put the due rows back as generated and drop what an earlier timed sweep wrote, instead of
    generating the N tasks again."""
    from django.db import connection

    from onetrip.core.models import AuditEvent
    from onetrip.flow.models import TaskRecord
    from onetrip.notify.models import Dispatch, Notification
    from onetrip.stats.models import StatDelta
    from onetrip.supervision.models import OverdueRecord, TaskWatch

    if TaskRecord.objects.count() != tasks:
        raise SystemExit(f"--reuse: the bench database does not hold {tasks:,} tasks; run without --reuse")
    stride = tasks // due
    task_base = TaskRecord.objects.order_by("id").values_list("id", flat=True)[0] - 1
    sets = ", ".join(f"{column} = {expression}" for column, expression in WATCH.items())
    with connection.cursor() as cursor:
        cursor.execute(
            f"""UPDATE {TaskWatch._meta.db_table} SET {sets}
                FROM (SELECT k * {stride} AS g, k FROM generate_series(1, {due}) k) AS r
                WHERE task_id = {task_base} + r.g""",
            _params(),
        )
        # TRUNCATE, not DELETE: a DELETE leaves 200,000 dead index entries behind in the outbox tables, which
        # the next DELETE's foreign-key checks and the next sweep's inserts wade through.
        tables = ", ".join(m._meta.db_table for m in (Dispatch, Notification, StatDelta, OverdueRecord))
        cursor.execute(f"TRUNCATE {tables}")
        cursor.execute(f"DELETE FROM {AuditEvent._meta.db_table} WHERE action = 'supervision.sweep'")
        cursor.execute("VACUUM ANALYZE")


def run_child(tasks: int, due: int, reuse: bool, threads: int = 2) -> dict[str, Any]:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from onetrip.flow.models import TaskRecord
    from onetrip.notify.models import Dispatch, Notification
    from onetrip.stats.models import StatDelta
    from onetrip.supervision.models import OverdueRecord, TaskWatch
    from onetrip.supervision.services import supervision_sweep, task_link_template

    if connection.vendor != "postgresql":
        raise SystemExit("the sweep benchmark runs on PostgreSQL")
    task_link_template()  # a worker's steady state: the URLconf is loaded once per process, not per sweep
    t0 = time.perf_counter()
    if reuse:
        _reset(tasks, due)
    else:
        call_command("migrate", verbosity=0)
        _generate(tasks, due, _setup())
    setup_s = time.perf_counter() - t0
    assert TaskRecord.objects.count() == tasks
    now = _instant()
    due_now = TaskWatch.objects.filter(watch_at__lte=now).count()
    assert due_now == due, (due_now, due)

    # The machine's speed just before the sweep (it is shared and its speed varies by ±40 %): a fixed loop.
    calibration = time.perf_counter()
    sum(range(10_000_000))
    calibration_s = time.perf_counter() - calibration

    wall, cpu = time.perf_counter(), time.process_time()
    report = supervision_sweep(now=now, threads=threads)
    sweep_s = time.perf_counter() - wall
    sweep_cpu_s = time.process_time() - cpu

    assert report.checked == due and report.discovered == 0, report
    assert report.reminders == due // 5 and report.overdue == 2 * due // 5 and report.warned == 2 * due // 5
    assert TaskWatch.objects.filter(watch_at__lte=now).count() == 0
    assert OverdueRecord.objects.count() == report.overdue
    return {
        "tasks": tasks,
        "due": due,
        "threads": threads,
        "sweep_s": round(sweep_s, 2),
        "sweep_cpu_s": round(sweep_cpu_s, 2),
        "warned": report.warned,
        "overdue": report.overdue,
        "reminders": report.reminders,
        "notifications": Notification.objects.count(),
        "dispatches": Dispatch.objects.count(),
        "stat_facts": StatDelta.objects.count(),
        "setup_s": round(setup_s, 1),
        "calibration_s": round(calibration_s, 3),
    }


def _pg_fresh(url: str) -> None:
    import psycopg

    name = url.rsplit("/", 1)[1]
    if "bench" not in name:
        raise SystemExit(
            f"refusing to drop database {name!r}: the benchmark database name must contain 'bench'"
        )
    admin = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')


def measure(
    *,
    tasks: int = 10_000_000,
    due: int = 100_000,
    database_url: str | None = None,
    reuse: bool = False,
    threads: int = 2,
) -> dict[str, Any]:
    """Generate `tasks` watched tasks, `due` of them newly due, in a fresh bench database; time one sweep.
    `reuse`: keep the database of an earlier run with the same sizes and only reset its due rows."""
    if tasks < TASKS_PER_INSTANCE or not 0 < due <= tasks // 10 or due % 5:
        raise ValueError("tasks ≥ 100, and due a positive multiple of 5 of at most a tenth of the tasks")
    url = database_url or os.environ.get("SWEEP_BENCH_DATABASE_URL") or PG_DEFAULT
    if not reuse:
        _pg_fresh(url)
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    with tempfile.TemporaryDirectory(prefix="onetrip-bench-") as var_dir:
        env.update(
            DJANGO_SETTINGS_MODULE="onetrip.settings",
            LOG_LEVEL="ERROR",
            ONETRIP_VAR_DIR=var_dir,
            DATABASE_URL=url,
            # An SMS gateway is configured (Dongyang's reminders are SMS), so the staff's phones get SMS
            # dispatches queued with each notification; nothing is sent during the sweep.
            NOTIFY_SMS_URL=os.environ.get("NOTIFY_SMS_URL", "http://127.0.0.1:9/sms"),
        )
        done = subprocess.run(
            [
                sys.executable,
                __file__,
                "--child",
                "--tasks",
                str(tasks),
                "--due",
                str(due),
                "--threads",
                str(threads),
                *(["--reuse"] if reuse else []),
            ],
            env=env,
            cwd=ROOT,
            stdout=subprocess.PIPE,
            text=True,
        )
    if done.returncode != 0:
        raise RuntimeError("the sweep benchmark failed")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=1_000_000, help="generated tasks (record 10,000,000)")
    parser.add_argument("--due", type=int, default=100_000, help="tasks newly due at the benchmark's instant")
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="keep the bench database of an earlier run; reset only its due rows",
    )
    parser.add_argument(
        "--threads", type=int, default=2, help="sweep threads (the default SUPERVISION_SWEEP_THREADS is 2)"
    )
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(
            json.dumps(run_child(args.tasks, args.due, args.reuse, args.threads), ensure_ascii=False),
            flush=True,
        )
        return
    print(
        json.dumps(
            measure(tasks=args.tasks, due=args.due, reuse=args.reuse, threads=args.threads),
            ensure_ascii=False,
        )
    )


if __name__ == "__main__":
    main()

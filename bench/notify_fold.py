"""Folding case events into notifications (issue 13, point 8): how many events per second
`notify_fold_events` turns into inbox messages (and their dispatches), keyset-batched.

Run from the repository root with a PostgreSQL server: `.venv/bin/python bench/notify_fold.py [--events N]
[--batch B]` (default 100,000 events, batches of 1,000). DATABASE_URL defaults to
postgres://postgres@127.0.0.1:5432/h5_notify_fold_bench (dropped, recreated and migrated; the name must
contain "bench"). Set-up, not timed: 1,000 accepted cases of 1,000 applicants (each with a phone, so every
message also queues an SMS dispatch), and N CaseEvents spread over them in id order, a mix of kinds as a
busy day writes them: about three in four tell the applicant something (suspended, resumed with a new date,
date changed, result ready, received), the rest are silent (dispatch, a supplement awaiting its check).
Then one timed fold to the end, and a second fold that must find nothing new.

Prints one JSON line: events, notifications, dispatches, fold_s, events_per_s, refold_s.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "onetrip.settings")
os.environ.setdefault("SECRET_KEY", "bench-notify-fold-not-a-secret-" + "x" * 32)
URL = os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/h5_notify_fold_bench")
os.environ.setdefault("NOTIFY_SMS_URL", "http://127.0.0.1:9/sms")

CASES = 1000
KINDS = (
    ("case_suspended", {}),
    ("case_resumed", {"promised_due_at": "2026-03-20T17:00:00+08:00"}),
    ("flow_dispatched", {}),
    ("promised_date_changed", {"promised_due_at": "2026-03-24T17:00:00+08:00"}),
    ("result_ready", {"results": [1]}),
    ("deficiency_submitted", {"deficiency": 1}),
    ("delivery_received", {}),
    ("case_resumed", {"promised_due_at": "2026-03-27T17:00:00+08:00"}),
)


def _recreate() -> None:
    import psycopg

    name = URL.rsplit("/", 1)[1]
    if "bench" not in name:
        raise SystemExit(f"refusing to drop database {name!r}: the name must contain 'bench'")
    with psycopg.connect(URL.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')


def _setup(events: int) -> None:
    from onetrip.catalog.tests import factories as f
    from onetrip.intake.models import Application, Case, CaseEvent
    from onetrip.orgs.models import RegionLevel, User

    at = dt.datetime(2026, 3, 2, 10, 0, tzinfo=dt.UTC)
    region = f.make_region(code="331102000000", name="莲都区", level=RegionLevel.COUNTY)
    department = f.make_department(name="莲都区示范局", region=region)
    item = f.make_item(department=department, name="示范事项")
    version = item.versions.get(version=1)
    users = User.objects.bulk_create(
        [
            User(username=f"bench-applicant-{n}", display_name=f"申请人{n}", phone=f"139{n:08d}")
            for n in range(CASES)
        ]
    )
    applications = Application.objects.bulk_create(
        [
            Application(applicant=u, item=item, item_version=version, channel="online", status="submitted")
            for u in users
        ]
    )
    cases = Case.objects.bulk_create(
        [
            Case(
                application=a,
                idempotency_key=f"bench-{n}",
                applicant=a.applicant,
                applicant_name=a.applicant.display_name,
                item_version=version,
                title="示范事项",
                lead_department=department,
                region=region,
                channel="online",
                status="in_progress",
                submitted_at=at,
                accept_due_at=at,
                accepted_at=at,
                promised_due_at=at + dt.timedelta(days=14),
                number=f"331102-2026-{n:06d}",
            )
            for n, a in enumerate(applications)
        ]
    )
    rows = []
    for i in range(events):
        kind, data = KINDS[i % len(KINDS)]
        rows.append(
            CaseEvent(
                case_id=cases[i % CASES].pk, at=at + dt.timedelta(seconds=i), kind=kind, title=kind, data=data
            )
        )
    CaseEvent.objects.bulk_create(rows, batch_size=5000)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=1000)
    args = parser.parse_args()
    _recreate()
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from onetrip.notify.models import Dispatch, Notification
    from onetrip.notify.observe import notify_fold_events

    _setup(args.events)
    now = dt.datetime(2026, 3, 3, 10, 0, tzinfo=dt.UTC)
    started = time.perf_counter()
    report = notify_fold_events(now=now, batch=args.batch)
    fold_s = time.perf_counter() - started
    started = time.perf_counter()
    again = notify_fold_events(now=now, batch=args.batch)
    refold_s = time.perf_counter() - started
    assert again.notifications == 0
    print(
        json.dumps(
            {
                "events": report.events,
                "notifications": Notification.objects.count(),
                "dispatches": Dispatch.objects.count(),
                "fold_s": round(fold_s, 2),
                "events_per_s": round(report.events / fold_s),
                "refold_s": round(refold_s, 3),
            }
        )
    )


if __name__ == "__main__":
    main()

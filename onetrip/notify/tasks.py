"""Background work through Django's tasks interface, for set-ups without `onetrip notify worker`."""

from __future__ import annotations

import time
from typing import Any

from django_tasks import task

from onetrip.core import clock
from onetrip.notify.conf import setting
from onetrip.notify.dispatcher import notify_dispatch
from onetrip.notify.observe import notify_fold_events
from onetrip.notify.services import notify_prune

# One run stops taking new batches after this long, so a backlog never blocks the task queue.
BUDGET_S = 50.0
BATCH = 200


@task()
def notify_dispatch_task() -> dict[str, Any]:
    """Deliver the due dispatches (several batches, at most about BUDGET_S seconds)."""
    started = time.monotonic()
    totals = {"taken": 0, "sent": 0, "retried": 0, "dead": 0}
    while time.monotonic() - started < BUDGET_S:
        report = notify_dispatch(now=clock.now(), batch=BATCH)
        for key in totals:
            totals[key] += getattr(report, key)
        if report.taken < BATCH:
            break
    return totals


@task()
def notify_fold_task() -> dict[str, int]:
    """Turn new case and workflow events into notifications (at most about BUDGET_S seconds of batches)."""
    started = time.monotonic()
    totals = {"events": 0, "notifications": 0}
    while time.monotonic() - started < BUDGET_S:
        report = notify_fold_events(now=clock.now(), max_batches=10)
        totals["events"] += report.events
        totals["notifications"] += report.notifications
        if not report.more:  # both tables caught up (or held by another fold)
            break
    return totals


@task()
def notify_prune_task() -> dict[str, int]:
    """Delete old sent dispatches and old read messages (NOTIFY_KEEP_SENT_DAYS / NOTIFY_KEEP_READ_DAYS)."""
    report = notify_prune(
        now=clock.now(),
        sent_days=int(setting("NOTIFY_KEEP_SENT_DAYS")),
        read_days=int(setting("NOTIFY_KEEP_READ_DAYS")),
    )
    return {"dispatches": report.dispatches, "notifications": report.notifications}

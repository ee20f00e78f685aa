"""Two sweep workers on PostgreSQL at the same instant (real OS processes): every task is processed by exactly
one of them, so each reminder, warning, overdue record and stats fact exists exactly once.

The data is committed (`transaction=True`); the parent closes its connections and forks the workers, which
open their own connections and wait on a barrier so they sweep at the same moment, in small batches so their
work interleaves.
"""

from __future__ import annotations

import multiprocessing as mp
from collections import Counter
from typing import Any

import pytest
from django.db import connection, connections

from onetrip.flow.models import TaskRecord
from onetrip.flow.tests.casebuilders import item_case, open_tasks
from onetrip.notify.models import Notification
from onetrip.stats.models import StatDelta, StatKind
from onetrip.supervision.models import AlertLevel, OverdueRecord, TaskWatch
from onetrip.supervision.services import supervision_sweep
from onetrip.supervision.tests.builders import local, rule_for, seed_flushed_database, slow_item, team

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL row locks (SKIP LOCKED)"),
]
TASKS = 12
WORKERS = 3


def _sweep(iso: str, barrier: Any, out: Any) -> None:
    import datetime as dt

    try:
        barrier.wait(timeout=60)
        report = supervision_sweep(now=dt.datetime.fromisoformat(iso), batch=3)
        out.put(("ok", report.as_dict()))
    except Exception as exc:  # report to the parent instead of dying silently
        out.put((f"error: {exc!r}", {}))
    finally:
        connections.close_all()


def _race(iso: str) -> list[dict[str, int]]:
    ctx = mp.get_context("fork")
    barrier = ctx.Barrier(WORKERS)
    out = ctx.Queue()
    connections.close_all()  # children must not share the parent's socket
    procs = [ctx.Process(target=_sweep, args=(iso, barrier, out)) for _ in range(WORKERS)]
    for p in procs:
        p.start()
    results = [out.get(timeout=120) for _ in procs]
    for p in procs:
        p.join(timeout=30)
    assert all(status == "ok" for status, _ in results), results
    return [report for _, report in results]


def test_workers_sweeping_at_once_send_each_reminder_exactly_once():
    seed_flushed_database()
    item = slow_item()
    # Warned and reminded from the 1st working day, overdue after the 2nd: one sweep on 7 May at 12:05 finds
    # every task red with the noon reminder due.
    rule_for(item, warn_after_days=1, overdue_after_days=2, remind_from_days=1)
    start = local(2026, 4, 29, 10, 0)
    tasks = []
    for _ in range(TASKS):
        [task] = open_tasks(item_case(item=item, now=start))
        tasks.append(task)
    handler, leader = team(tasks[0].department)

    reports = _race(local(2026, 4, 29, 10, 1).isoformat())  # discovery, concurrently
    assert sum(r["discovered"] for r in reports) == TASKS

    reports = _race(local(2026, 5, 7, 12, 5).isoformat())
    assert sum(r["checked"] for r in reports) == TASKS
    assert sum(r["reminders"] for r in reports) == TASKS
    assert sum(r["overdue"] for r in reports) == TASKS
    assert sum(1 for r in reports if r["checked"]) >= 2, reports  # the work was really shared

    ids = [t.pk for t in tasks]
    assert set(TaskWatch.objects.filter(task_id__in=ids).values_list("alert", "reminders")) == {
        (AlertLevel.RED, 1)
    }
    assert TaskRecord.objects.filter(pk__in=ids, watched=True).count() == TASKS
    assert OverdueRecord.objects.filter(task_id__in=ids).count() == TASKS
    facts = Counter(StatDelta.objects.values_list("kind", flat=True))
    assert facts == {StatKind.WARNED: TASKS, StatKind.OVERDUE: TASKS}
    reminders = Notification.objects.filter(kind="task_reminder")
    assert reminders.count() == 2 * TASKS  # handler and leader, once each
    assert Counter(reminders.values_list("recipient_id", flat=True)) == {handler.pk: TASKS, leader.pk: TASKS}
    assert Notification.objects.filter(kind="task_overdue").count() == 2 * TASKS
    assert Notification.objects.filter(kind="task_warning").count() == 0  # straight to red: one message

    # Racing again at the same instant finds nothing to do.
    reports = _race(local(2026, 5, 7, 12, 5).isoformat())
    assert sum(r["checked"] + r["discovered"] for r in reports) == 0
    assert Notification.objects.count() == 4 * TASKS


def test_a_sweep_in_threads_shares_the_batches_and_sends_each_reminder_once(monkeypatch):
    import threading

    from onetrip.supervision import services

    seed_flushed_database()
    item = slow_item()
    rule_for(item, warn_after_days=1, overdue_after_days=2, remind_from_days=1)
    start = local(2026, 4, 29, 10, 0)
    tasks = [open_tasks(item_case(item=item, now=start))[0] for _ in range(TASKS)]
    handler, leader = team(tasks[0].department)
    workers: list[str] = []
    work = services._process

    def recording(*args: Any, **kwargs: Any) -> None:
        workers.append(threading.current_thread().name)
        work(*args, **kwargs)

    monkeypatch.setattr(services, "_process", recording)

    report = supervision_sweep(now=local(2026, 4, 29, 10, 1), batch=2, threads=3)
    assert report.discovered == TASKS
    report = supervision_sweep(now=local(2026, 5, 7, 12, 5), batch=2, threads=3)
    assert (report.checked, report.reminders, report.overdue) == (TASKS, TASKS, TASKS)
    assert report.notifications == 4 * TASKS  # overdue and reminder, to the handler and the leader
    assert all(name.startswith("supervision-sweep") for name in workers)
    assert len(set(workers)) >= 2, workers  # the batches really went to several threads

    ids = [t.pk for t in tasks]
    assert OverdueRecord.objects.filter(task_id__in=ids).count() == TASKS
    reminders = Notification.objects.filter(kind="task_reminder")
    assert Counter(reminders.values_list("recipient_id", flat=True)) == {handler.pk: TASKS, leader.pk: TASKS}
    assert Counter(StatDelta.objects.values_list("kind", flat=True)) == {
        StatKind.WARNED: TASKS,
        StatKind.OVERDUE: TASKS,
    }
    again = supervision_sweep(now=local(2026, 5, 7, 12, 5), batch=2, threads=3)
    assert again.checked + again.discovered == 0

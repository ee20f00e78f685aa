"""Several dispatcher processes at once on PostgreSQL never send the same dispatch twice (SKIP LOCKED + lease).

The dispatches are committed (`transaction=True`); the parent closes its connections and forks dispatchers
that wait on a barrier and then drain the queue in small batches, racing each other for every batch. The
SMS gateway (a loopback receiver in the parent) sees each dispatch's stable `msg_id` exactly once.
"""

from __future__ import annotations

import datetime as dt
import multiprocessing as mp
from collections import Counter
from typing import Any

import pytest
from django.db import connection, connections

from onetrip.notify.models import Dispatch, DispatchStatus
from onetrip.notify.services import NotificationDraft, notify_send_many
from onetrip.notify.tests.loopback import HttpReceiver
from onetrip.orgs.tests import factories as f

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL row locks"),
]

AT = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


def _drain(barrier: Any, out: Any) -> None:
    from onetrip.notify.dispatcher import notify_dispatch

    try:
        barrier.wait(timeout=30)
        taken = 0
        while report := notify_dispatch(now=AT, batch=7, threads=2):
            if not report.taken:
                break
            taken += report.taken
        out.put(("ok", taken))
    except Exception as exc:  # report to the parent instead of dying silently
        out.put((f"error: {exc!r}", 0))
    finally:
        connections.close_all()


def test_concurrent_dispatchers_send_every_dispatch_exactly_once(settings):
    gateway = HttpReceiver()
    settings.NOTIFY_SMS_URL = f"{gateway.url}/sms"
    settings.NOTIFY_CHANNELS = "sms"
    users = [f.user(phone=f"1381234{i:04d}") for i in range(12)]
    drafts = [
        NotificationDraft(u.pk, "task_reminder", "办理提醒", f"c:{u.pk}:{j}")
        for u in users
        for j in range(25)
    ]
    assert notify_send_many(drafts=drafts, at=AT) == 300
    ids = set(Dispatch.objects.values_list("pk", flat=True))
    assert len(ids) == 300

    ctx = mp.get_context("fork")
    workers = 4
    barrier, out = ctx.Barrier(workers), ctx.Queue()
    connections.close_all()  # children must not share the parent's socket
    procs = [ctx.Process(target=_drain, args=(barrier, out)) for _ in range(workers)]
    for p in procs:
        p.start()
    with gateway:  # serve only in the parent, after the fork
        results = [out.get(timeout=120) for _ in procs]
        for p in procs:
            p.join(timeout=30)

    assert all(status == "ok" for status, _ in results), results
    assert sum(taken for _, taken in results) == 300
    assert sum(1 for _, taken in results if taken) >= 2, "the dispatchers did not actually overlap"
    counts = Counter(r.body["msg_id"] for r in gateway.received)
    assert set(counts) == {f"onetrip-{pk}" for pk in ids}
    assert max(counts.values()) == 1
    assert Dispatch.objects.filter(status=DispatchStatus.SENT, attempts=1).count() == 300

"""The worker loop, the management command and the django-tasks task deliver the queue; on PostgreSQL the
worker is woken by the outbox's NOTIFY at commit, not by its poll interval."""

from __future__ import annotations

import datetime as dt
import threading
import time
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection, connections

from onetrip.core.clock import FixedClock, set_clock
from onetrip.notify.models import Dispatch, DispatchStatus
from onetrip.notify.services import NotificationDraft, notify_send, notify_send_many
from onetrip.notify.tasks import notify_dispatch_task
from onetrip.notify.tests.loopback import HttpReceiver
from onetrip.notify.worker import run_worker
from onetrip.orgs.tests import factories as f

AT = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def gateway(settings):
    with HttpReceiver() as receiver:
        settings.NOTIFY_SMS_URL = f"{receiver.url}/sms"
        settings.NOTIFY_CHANNELS = "sms"
        yield receiver


@pytest.fixture
def fixed_clock():
    previous = set_clock(FixedClock(AT))
    yield
    set_clock(previous)


def _queue(n: int) -> None:
    users = [f.user(phone=f"1390000{i:04d}") for i in range(n)]
    notify_send_many(
        drafts=[NotificationDraft(u.pk, "case_accepted", "受理", f"w:{u.pk}") for u in users], at=AT
    )


@pytest.mark.django_db
def test_worker_loop_sends_what_is_due_and_stops(gateway, fixed_clock):
    _queue(5)
    totals = run_worker(interval=0.05, batch=2, max_seconds=0.5)
    assert (totals.sent, totals.retried, totals.dead) == (5, 0, 0)
    assert len(gateway.received) == 5
    assert not Dispatch.objects.exclude(status=DispatchStatus.SENT).exists()


@pytest.mark.django_db
def test_dispatch_command_and_task_each_deliver_the_due_queue(gateway, fixed_clock):
    _queue(3)
    out = StringIO()
    call_command("notify", "dispatch", "--batch", "2", stdout=out)
    assert "取出 2 条：发送成功 2" in out.getvalue()
    assert notify_dispatch_task.call() == {"taken": 1, "sent": 1, "retried": 0, "dead": 0}
    assert len(gateway.received) == 3


@pytest.mark.django_db
def test_worker_command_runs_for_the_given_time(gateway, fixed_clock):
    _queue(2)
    out = StringIO()
    call_command("notify", "worker", "--interval", "0.05", "--max-seconds", "0.3", stdout=out)
    assert "发送成功 2" in out.getvalue()


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="LISTEN/NOTIFY is PostgreSQL's")
def test_worker_wakes_on_the_commit_not_on_its_poll_interval(gateway):
    user = f.user(phone="13900001111")
    stop = threading.Event()
    totals = []

    def work() -> None:
        try:
            totals.append(run_worker(interval=30.0, stop=stop))
        finally:
            connections.close_all()

    thread = threading.Thread(target=work)
    thread.start()
    try:
        time.sleep(0.5)  # the worker has drained the (empty) queue and is listening
        committed = time.time()
        notify_send(recipient_id=user.pk, kind="case_accepted", title="受理", dedup_key="wake")
        while not gateway.received and time.time() - committed < 10:
            time.sleep(0.01)
    finally:
        stop.set()
        thread.join(timeout=10)
    assert gateway.received, "the worker was not woken"
    assert gateway.received[0].at - committed < 2.0  # far below the 30 s poll interval
    assert totals and totals[0].sent == 1


@pytest.mark.django_db
def test_prune_deletes_old_sent_dispatches_and_old_read_messages_only(settings):
    from onetrip.notify.models import Notification
    from onetrip.notify.tasks import notify_prune_task

    settings.NOTIFY_SMS_URL = "http://127.0.0.1:9/sms"
    user = f.user(phone="13900002222")
    old, recent = AT - dt.timedelta(days=400), AT - dt.timedelta(days=5)
    for key, at in [("old-read", old), ("old-unread", old), ("old-dead", old), ("recent-read", recent)]:
        notify_send(recipient_id=user.pk, kind="case_accepted", title=key, dedup_key=key, at=at)
    Notification.objects.exclude(dedup_key__in=["old-unread", "old-dead"]).update(read_at=AT)
    Dispatch.objects.exclude(notification__dedup_key="old-dead").update(status=DispatchStatus.SENT)
    Dispatch.objects.filter(notification__dedup_key="old-dead").update(status=DispatchStatus.DEAD)
    previous = set_clock(FixedClock(AT))
    try:
        assert notify_prune_task.call() == {"dispatches": 2, "notifications": 1}
    finally:
        set_clock(previous)
    assert sorted(Notification.objects.values_list("dedup_key", flat=True)) == [
        "old-dead",
        "old-unread",
        "recent-read",
    ]
    assert sorted(Dispatch.objects.values_list("notification__dedup_key", flat=True)) == [
        "old-dead",
        "recent-read",
    ]

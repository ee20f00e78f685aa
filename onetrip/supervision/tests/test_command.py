"""`onetrip supervision sweep` (once, at --now, or as a worker loop) and the scheduler's task."""

from __future__ import annotations

import io
import json
import os
import signal
import threading

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from onetrip.core.clock import FixedClock, set_clock
from onetrip.supervision.models import AlertLevel
from onetrip.supervision.tasks import supervision_sweep_task
from onetrip.supervision.tests.builders import local, reload, seed_flushed_database, team, untouched


@pytest.mark.django_db
def test_the_command_sweeps_at_the_given_instant_and_prints_its_report():
    _, task = untouched()
    team(task.department)
    out = io.StringIO()
    call_command("supervision", "sweep", "--now", "2026-05-13T09:00:00+08:00", stdout=out)
    report = json.loads(out.getvalue())
    assert report["discovered"] == 1 and report["overdue"] == 1 and report["notifications"] == 2
    assert reload(task).alert == AlertLevel.RED


@pytest.mark.django_db
@pytest.mark.parametrize(
    "args",
    [
        ["--now", "2026-05-13T09:00:00"],
        ["--now", "yesterday"],
        ["--batch", "0"],
        ["--threads", "0"],
        ["--loop", "--now", "2026-05-13T09:00:00+08:00"],
        ["--loop", "--interval", "0"],
    ],
)
def test_bad_options_are_refused(args):
    with pytest.raises(CommandError):
        call_command("supervision", "sweep", *args, stdout=io.StringIO())


@pytest.mark.django_db
def test_the_scheduled_task_sweeps_at_the_clock():
    _, task = untouched()
    previous = set_clock(FixedClock(local(2026, 5, 9, 17, 31)))
    try:
        report = supervision_sweep_task.call()
    finally:
        set_clock(previous)
    assert report["discovered"] == 1 and report["warned"] == 1
    assert reload(task).alert == AlertLevel.YELLOW


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="the worker loop reconnects between passes")
def test_the_worker_loop_sweeps_until_it_is_told_to_stop():
    seed_flushed_database()
    _, task = untouched()
    previous = set_clock(FixedClock(local(2026, 5, 9, 17, 31)))
    handler = signal.getsignal(signal.SIGTERM)
    timer = threading.Timer(1.5, os.kill, args=(os.getpid(), signal.SIGTERM))
    out = io.StringIO()
    timer.start()
    try:
        call_command("supervision", "sweep", "--loop", "--interval", "0.2", stdout=out)
    finally:
        timer.cancel()
        set_clock(previous)
    passes = [json.loads(line) for line in out.getvalue().splitlines()]
    assert passes and passes[0]["discovered"] == 1 and passes[0]["warned"] == 1
    assert sum(p["discovered"] + p["checked"] for p in passes) == 1  # later passes found nothing new
    assert reload(task).alert == AlertLevel.YELLOW
    assert signal.getsignal(signal.SIGTERM) == handler  # the worker's own handler is removed again

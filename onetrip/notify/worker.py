"""The long-running dispatcher loop behind `onetrip notify worker`.

It runs a dispatch pass, and when the queue is drained it waits: on PostgreSQL it LISTENs on
`onetrip_notify` (every transaction that queues a dispatch sends NOTIFY, delivered at commit), so it wakes
within milliseconds of the commit and, after `coalesce` seconds to gather the commits that follow, sends
them in one pass; otherwise, or if no signal comes, it looks again after `interval`
seconds (which also picks up retries coming due). Several workers may run side by side: they take rows
with SKIP LOCKED. A lost database connection is logged and retried; SIGTERM/SIGINT stop it after the pass.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import DatabaseError, close_old_connections, connection

from onetrip.core.clock import now as clock_now
from onetrip.notify.dispatcher import notify_dispatch
from onetrip.notify.services import WAKE_CHANNEL

logger = logging.getLogger(__name__)


class _Sleeper:
    def __init__(self, stop: threading.Event) -> None:
        self.stop = stop

    def wait(self, timeout: float) -> None:
        self.stop.wait(timeout)

    def close(self) -> None:
        return None


class _Listener:
    """A separate autocommit connection that LISTENs for the outbox's NOTIFY."""

    def __init__(self, stop: threading.Event, coalesce: float) -> None:
        import psycopg

        self.stop = stop
        self.coalesce = coalesce
        params = connection.get_connection_params()
        params.pop("cursor_factory", None)
        params.pop("context", None)
        self.conn: Any = psycopg.connect(**params, autocommit=True)
        self.conn.execute(f"LISTEN {WAKE_CHANNEL}")

    def wait(self, timeout: float) -> None:
        # Block until a signal (or the timeout), then take every signal already queued: one pass serves them.
        deadline = time.monotonic() + timeout
        while not self.stop.is_set():
            left = min(0.5, deadline - time.monotonic())  # wake now and then to notice a stop request
            if left <= 0:
                return
            if any(True for _ in self.conn.notifies(timeout=left, stop_after=1)):
                # Let the commits of the next few milliseconds join this pass, then take their signals too.
                if self.coalesce > 0:
                    self.stop.wait(self.coalesce)
                for _ in self.conn.notifies(timeout=0.001):
                    pass
                return

    def close(self) -> None:
        self.conn.close()


@dataclass
class WorkerTotals:
    passes: int = 0
    sent: int = 0
    retried: int = 0
    dead: int = 0


def _waiter(stop: threading.Event, coalesce: float) -> _Sleeper | _Listener:
    if connection.vendor == "postgresql":
        try:
            return _Listener(stop, coalesce)
        except Exception:  # noqa: BLE001 - fall back to polling; the loop still works
            logger.warning("notify worker: LISTEN unavailable, polling instead")
    return _Sleeper(stop)


def run_worker(
    *,
    interval: float = 1.0,
    batch: int = 200,
    threads: int | None = None,
    stop: threading.Event | None = None,
    max_seconds: float | None = None,
    coalesce: float = 0.1,
    on_ready: Callable[[], None] | None = None,
) -> WorkerTotals:
    """Dispatch until `stop` is set (or `max_seconds` pass); returns what was done."""
    stop = stop or threading.Event()
    totals = WorkerTotals()
    started = time.monotonic()
    waiter = _waiter(stop, coalesce)
    if on_ready is not None:
        on_ready()  # listening from here on: nothing committed later can be missed
    try:
        while not stop.is_set():
            if max_seconds is not None and time.monotonic() - started >= max_seconds:
                break
            try:
                if not connection.in_atomic_block:  # (a caller's transaction, e.g. in tests, is left alone)
                    close_old_connections()  # drop a broken or over-age connection between passes
                report = notify_dispatch(now=clock_now(), batch=batch, threads=threads)
            except DatabaseError:
                logger.exception("notify worker: database error; retrying shortly")
                connection.close()
                stop.wait(min(interval, 5.0))
                continue
            totals.passes += 1
            totals.sent += report.sent
            totals.retried += report.retried
            totals.dead += report.dead
            if report.taken >= batch:
                continue  # more may be waiting
            try:
                waiter.wait(interval)
            except Exception:  # noqa: BLE001 - a broken LISTEN connection: reconnect, poll meanwhile
                logger.warning("notify worker: LISTEN connection lost; reconnecting")
                waiter.close()
                stop.wait(min(interval, 1.0))
                waiter = _waiter(stop, coalesce)
    finally:
        waiter.close()
    return totals

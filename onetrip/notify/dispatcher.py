"""The dispatcher: deliver due dispatches, retry with exponential backoff and jitter, give up after N tries.

One pass (`notify_dispatch`):
1. In one statement, take up to `batch` due pending dispatches with SELECT … FOR UPDATE SKIP LOCKED
   (PostgreSQL; SQLite serialises writers anyway), count the attempt and push `next_attempt_at` forward by
   the lease (NOTIFY_LEASE_S). Another dispatcher skips the locked rows while that statement runs and
   finds them not due afterwards, so two dispatchers never send the same dispatch.
2. Send outside any transaction, on a few long-lived threads (network waits overlap); each thread's share
   of the batch gets its own channel objects, closed at the end of the batch.
3. Write the outcomes in bulk: sent; or due again after base·2^(attempt−1) (capped, ±20 % jitter); or dead
   once NOTIFY_MAX_ATTEMPTS is reached. `last_error` is short and free of personal data.
A dispatcher that dies mid-batch loses nothing: its dispatches come due again when the lease runs out
(delivery is at-least-once; the SMS gateway gets a stable `msg_id` to drop a duplicate).
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import random
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from django.db import connection

from onetrip.core.clock import now as clock_now
from onetrip.notify.channels import CHANNELS, Channel, ChannelError, safe_error
from onetrip.notify.conf import setting
from onetrip.notify.models import Dispatch, DispatchStatus

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class DispatchReport:
    taken: int = 0
    sent: int = 0
    retried: int = 0
    dead: int = 0


def backoff_delay(attempts: int, *, rng: random.Random | None = None) -> dt.timedelta:
    """Delay before the next try after `attempts` failed tries: base·2^(attempts−1), capped, ±20 % jitter."""
    base = float(setting("NOTIFY_BACKOFF_BASE_S"))
    cap = float(setting("NOTIFY_BACKOFF_MAX_S"))
    delay = min(cap, base * 2 ** max(0, attempts - 1))
    return dt.timedelta(seconds=delay * (rng or random).uniform(0.8, 1.2))


def _take(*, now: dt.datetime, batch: int) -> list[int]:
    """Reserve up to `batch` due dispatches in one statement: count the attempt, push the due time past the
    lease. On PostgreSQL the rows are chosen with FOR UPDATE SKIP LOCKED, so concurrent dispatchers get
    disjoint sets; SQLite has a single writer."""
    table = connection.ops.quote_name(Dispatch._meta.db_table)
    due_field = Dispatch._meta.get_field("next_attempt_at")
    lease = dt.timedelta(seconds=float(setting("NOTIFY_LEASE_S")))
    params = [
        due_field.get_db_prep_value(now + lease, connection),
        DispatchStatus.PENDING,
        due_field.get_db_prep_value(now, connection),
        batch,
    ]
    if connection.vendor == "postgresql":
        sql = (
            f"WITH due AS MATERIALIZED (SELECT id FROM {table} WHERE status = %s AND next_attempt_at <= %s "
            "ORDER BY next_attempt_at, id LIMIT %s FOR UPDATE SKIP LOCKED) "
            f"UPDATE {table} AS d SET attempts = d.attempts + 1, next_attempt_at = %s "
            "FROM due WHERE d.id = due.id RETURNING d.id"
        )
        params = [params[1], params[2], params[3], params[0]]
    else:
        sql = (
            f"UPDATE {table} SET attempts = attempts + 1, next_attempt_at = %s WHERE id IN "
            f"(SELECT id FROM {table} WHERE status = %s AND next_attempt_at <= %s "
            "ORDER BY next_attempt_at, id LIMIT %s) RETURNING id"
        )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return sorted(row[0] for row in cursor.fetchall())


def _send_slice(dispatches: Sequence[Dispatch]) -> list[tuple[int, str | None]]:
    """Send one thread's share; returns (dispatch id, error or None)."""
    channels: dict[str, Channel] = {}
    outcomes: list[tuple[int, str | None]] = []
    try:
        for dispatch in dispatches:
            try:
                channel = channels.get(dispatch.channel)
                if channel is None:
                    factory = CHANNELS.get(dispatch.channel)
                    if factory is None:
                        raise ChannelError(f"unknown channel {dispatch.channel}")
                    channel = channels[dispatch.channel] = factory()
                channel.send(dispatch)
                outcomes.append((dispatch.pk, None))
            except Exception as exc:  # noqa: BLE001 - every failure is recorded and retried
                outcomes.append((dispatch.pk, safe_error(exc, dispatch.address)))
                # A failed SMTP conversation may leave the connection unusable: start afresh.
                broken = channels.pop(dispatch.channel, None)
                if broken is not None:
                    try:
                        broken.close()
                    except Exception:  # noqa: BLE001
                        logger.debug("closing a failed %s channel failed", dispatch.channel)
    finally:
        for channel in channels.values():
            try:
                channel.close()
            except Exception:  # noqa: BLE001
                logger.debug("closing %s channel failed", channel.name)
    return outcomes


_executor: ThreadPoolExecutor | None = None
_executor_size = 0
_executor_lock = threading.Lock()


def _pool(threads: int) -> ThreadPoolExecutor:
    """Sending threads kept for the life of the process (a worker runs many small batches)."""
    global _executor, _executor_size
    with _executor_lock:
        if _executor is None or _executor_size < threads:
            if _executor is not None:
                _executor.shutdown(wait=False)
            _executor = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="notify-send")
            _executor_size = threads
        return _executor


def _forget_pool() -> None:
    global _executor, _executor_size
    _executor, _executor_size = None, 0


os.register_at_fork(after_in_child=_forget_pool)  # a forked child has none of the parent's threads


def _send_all(dispatches: list[Dispatch], threads: int) -> list[tuple[int, str | None]]:
    threads = max(1, min(threads, len(dispatches)))
    if threads == 1:
        return _send_slice(dispatches)
    slices = [dispatches[i::threads] for i in range(threads)]
    return [outcome for part in _pool(threads).map(_send_slice, slices) for outcome in part]


def notify_dispatch(
    *, now: dt.datetime | None = None, batch: int = 200, threads: int | None = None
) -> DispatchReport:
    """Deliver up to `batch` due dispatches once; see the module docstring."""
    now = now or clock_now()
    ids = _take(now=now, batch=batch)
    if not ids:
        return DispatchReport()
    dispatches = list(
        Dispatch.objects.filter(pk__in=ids).select_related("notification__recipient", "robot").order_by("id")
    )
    outcomes = _send_all(dispatches, int(threads or setting("NOTIFY_SEND_THREADS")))
    by_id = {d.pk: d for d in dispatches}
    max_attempts = int(setting("NOTIFY_MAX_ATTEMPTS"))
    sent_ids = [pk for pk, error in outcomes if error is None]
    failed: list[Dispatch] = []
    dead = retried = 0
    for pk, error in outcomes:
        if error is None:
            continue
        dispatch = by_id[pk]
        dispatch.last_error = error
        if dispatch.attempts >= max_attempts:
            dispatch.status = DispatchStatus.DEAD
            dead += 1
        else:
            dispatch.next_attempt_at = now + backoff_delay(dispatch.attempts)
            retried += 1
        failed.append(dispatch)
    # Each write is one statement; a crash between them only means a retry of what was not yet marked.
    if sent_ids:
        Dispatch.objects.filter(pk__in=sent_ids).update(
            status=DispatchStatus.SENT, sent_at=clock_now(), last_error=""
        )
    if failed:
        Dispatch.objects.bulk_update(failed, ["status", "next_attempt_at", "last_error"])
    if dead:
        logger.warning("notify: %d dispatch(es) gave up after %d attempts", dead, max_attempts)
    return DispatchReport(taken=len(ids), sent=len(sent_ids), retried=retried, dead=dead)

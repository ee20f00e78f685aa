"""Writing notifications. Call these inside the transaction of the event that causes them (the outbox).

`notify_send_many` inserts the inbox rows whose dedup_key is new, so the count of new rows is exact even when
two sweeps race, and queues one `Dispatch` per enabled external channel of each new notification in the same
transaction. Everything is batched: a sweep of 100,000 reminders costs a few statements per batch, never one
per row. SQLite gets `INSERT … ON CONFLICT (dedup_key) DO NOTHING RETURNING`; PostgreSQL gets the rows by
COPY (`core.bulk`: Django would quote every array element in Python), see `_insert_notifications_postgresql`.
On PostgreSQL a trigger on the dispatch insert sends `NOTIFY onetrip_notify`, delivered at commit, which
wakes the dispatcher worker at once.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, connection, transaction

from onetrip.core.audit import audit_record
from onetrip.core.bulk import allocate_ids, copy_rows, copy_to_temp, json_text, timestamp_text
from onetrip.core.clock import now as clock_now
from onetrip.core.errors import DomainError, ErrorDetail, not_found
from onetrip.notify.kinds import URGENT_KINDS, kind_label
from onetrip.notify.models import (
    ChannelPreference,
    Dispatch,
    DispatchChannel,
    DispatchStatus,
    Notification,
)
from onetrip.notify.routing import Route, routes_for
from onetrip.orgs.models import User

# The channel the worker LISTENs on (PostgreSQL); the trigger in migration 0001 uses the same name.
WAKE_CHANNEL = "onetrip_notify"
# SQLite gets VALUES lists within its parameter limit; PostgreSQL gets the rows by COPY (core.bulk).
_SQLITE_BATCH = 500
# The drafts on PostgreSQL: COPY into this session table, then one INSERT … SELECT … ON CONFLICT from it.
_BATCH_DEFINITION = (
    "recipient_id bigint, kind text, title text, body text, link text, dedup_key text, data jsonb"
)
_BATCH_COLUMNS = "recipient_id, kind, title, body, link, dedup_key, data"


@dataclass(frozen=True)
class NotificationDraft:
    recipient_id: int
    kind: str
    title: str
    dedup_key: str
    body: str = ""
    link: str = ""
    data: dict[str, Any] = field(default_factory=dict)


def _q(name: str) -> str:
    return connection.ops.quote_name(name)


def _run(sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall() if cursor.description else []


def _insert_notifications(drafts: Sequence[NotificationDraft], at: dt.datetime) -> list[tuple[int, int, str]]:
    """Insert the drafts whose dedup_key is new: (id, recipient_id, kind) of the rows made here, exact even
    when another transaction inserts the same keys at the same moment."""
    rows = [
        (
            d.recipient_id,
            str(d.kind)[:40],
            d.title[:255],
            d.body,
            d.link[:255],
            d.dedup_key,
            json_text(d.data or {}),
        )
        for d in drafts
    ]
    if connection.vendor == "postgresql":
        return _insert_notifications_postgresql(rows, at)
    table = _q(Notification._meta.db_table)
    created_at = Notification._meta.get_field("created_at").get_db_prep_value(at, connection)
    new: list[tuple[int, int, str]] = []
    for start in range(0, len(rows), _SQLITE_BATCH):
        batch = rows[start : start + _SQLITE_BATCH]
        values = ", ".join(["(%s, %s, %s, %s, %s, %s, %s, %s)"] * len(batch))
        params = [value for row in batch for value in (*row, created_at)]
        new += _run(
            f"INSERT INTO {table} ({_BATCH_COLUMNS}, created_at) VALUES {values} "
            "ON CONFLICT (dedup_key) DO NOTHING RETURNING id, recipient_id, kind",
            params,
        )
    return new


def _insert_notifications_postgresql(
    rows: list[tuple[Any, ...]], at: dt.datetime
) -> list[tuple[int, int, str]]:
    """Usually every key is new (a sweep takes each task once): the rows are COPYed with ids drawn from the
    sequence beforehand, the cheapest write there is. When a key was used already (a re-run, a reopened task,
    a second worker) the COPY fails on the unique constraint inside its savepoint, which is rolled back, and
    the rows go through a temporary table into INSERT … ON CONFLICT (dedup_key) DO NOTHING RETURNING, which
    skips exactly the used keys (about 40 % slower, `bench/supervision_sweep.py`)."""
    created_at = timestamp_text(at)
    ids = allocate_ids(Notification, len(rows))
    try:
        with transaction.atomic():
            copy_rows(
                Notification._meta.db_table,
                ("id", *_BATCH_COLUMNS.split(", "), "created_at"),
                ((pk, *row, created_at) for pk, row in zip(ids, rows, strict=True)),
            )
        return [(pk, row[0], row[1]) for pk, row in zip(ids, rows, strict=True)]
    except IntegrityError:
        pass
    copy_to_temp("notify_batch", _BATCH_DEFINITION, rows)
    return _run(
        f"INSERT INTO {_q(Notification._meta.db_table)} ({_BATCH_COLUMNS}, created_at) "
        f"SELECT {_BATCH_COLUMNS}, %s FROM notify_batch "
        "ON CONFLICT (dedup_key) DO NOTHING RETURNING id, recipient_id, kind",
        [created_at],
    )


def _insert_dispatches(rows: Sequence[tuple[int, str, str, int | None]], at: dt.datetime) -> None:
    """Queue (notification_id, channel, address, robot_id) rows, due at `at`. On PostgreSQL a trigger on
    this INSERT sends NOTIFY onetrip_notify (migration 0001), delivered at commit."""
    table = _q(Dispatch._meta.db_table)
    columns = "notification_id, channel, address, robot_id, status, attempts, next_attempt_at, last_error, created_at"
    due = Dispatch._meta.get_field("next_attempt_at").get_db_prep_value(at, connection)
    if connection.vendor == "postgresql":
        pending = DispatchStatus.PENDING.value
        at_text = timestamp_text(at)
        copy_rows(
            Dispatch._meta.db_table,
            columns.split(", "),
            # str(c): COPY would write a DispatchChannel member by its enum name, not its value.
            ((n, str(c), a, r, pending, 0, at_text, "", at_text) for n, c, a, r in rows),
        )
    else:
        for start in range(0, len(rows), _SQLITE_BATCH):
            batch = rows[start : start + _SQLITE_BATCH]
            values = ", ".join(["(%s, %s, %s, %s, %s, 0, %s, '', %s)"] * len(batch))
            params = [v for row in batch for v in (*row, DispatchStatus.PENDING, due, due)]
            _run(f"INSERT INTO {table} ({columns}) VALUES {values}", params)


def notify_send_many(*, drafts: Sequence[NotificationDraft], at: dt.datetime | None = None) -> int:
    """Queue many notifications at once; a draft whose dedup_key was already used is skipped.

    Returns how many were new."""
    if not drafts:
        return 0
    at = at or clock_now()
    unique: dict[str, NotificationDraft] = {}
    for d in drafts:
        if len(d.dedup_key) > 160:
            raise ValueError("dedup_key longer than 160 characters")
        unique.setdefault(d.dedup_key, d)
    # No savepoint: a failure here is a failure of the caller's event, and the whole transaction rolls back.
    with transaction.atomic(savepoint=False):
        new = _insert_notifications(list(unique.values()), at)
        if not new:
            return 0
        routes = routes_for(recipient_id for _, recipient_id, _ in new)
        chosen: dict[tuple[int, str], list[Route]] = {}  # a sweep sends one kind to a person many times
        dispatches = []
        for notification_id, recipient_id, kind in new:
            if recipient_id not in routes:
                continue
            found = chosen.get((recipient_id, kind))
            if found is None:
                found = chosen[recipient_id, kind] = routes[recipient_id].for_kind(kind)
            dispatches += [(notification_id, r.channel, r.address, r.robot_id) for r in found]
        if dispatches:
            _insert_dispatches(dispatches, at)
    return len(new)


def notify_send(
    *,
    recipient_id: int,
    kind: str,
    title: str,
    dedup_key: str,
    body: str = "",
    link: str = "",
    data: dict[str, Any] | None = None,
    at: dt.datetime | None = None,
) -> bool:
    """Queue one notification; False when its dedup_key was already used."""
    draft = NotificationDraft(
        recipient_id=recipient_id,
        kind=kind,
        title=title,
        dedup_key=dedup_key,
        body=body,
        link=link,
        data=data or {},
    )
    return notify_send_many(drafts=[draft], at=at) == 1


# --- the inbox ---------------------------------------------------------------------------------------------


def notification_mark_read(
    *, user: User, notification_id: int, at: dt.datetime | None = None
) -> Notification:
    """Mark one of the person's own notifications read (idempotent). Someone else's is "not found"."""
    notification = Notification.objects.filter(pk=notification_id, recipient=user).first()
    if notification is None:
        raise not_found("消息", "Notification", "id")
    if notification.read_at is None:
        notification.read_at = at or clock_now()
        Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(
            read_at=notification.read_at
        )
    return notification


def notification_mark_all_read(*, user: User, at: dt.datetime | None = None) -> int:
    """Mark every unread notification of the person read; returns how many (uses the unread index)."""
    return Notification.objects.filter(recipient=user, read_at__isnull=True).update(read_at=at or clock_now())


# --- preferences -------------------------------------------------------------------------------------------

_MOBILE_RE = re.compile(r"^1[3-9]\d{9}$")


@dataclass(frozen=True)
class PreferenceInput:
    channel: str
    enabled: bool
    address: str = ""
    muted_kinds: Sequence[str] = ()


def _preference_errors(row: PreferenceInput) -> list[ErrorDetail]:
    channel, address = row.channel, row.address.strip()
    if channel not in DispatchChannel.values:
        return [ErrorDetail("invalid_channel", "通知渠道无效", "Unknown channel", "channel")]
    errors: list[ErrorDetail] = []
    if address and channel == DispatchChannel.EMAIL:
        try:
            validate_email(address)
        except ValidationError:
            errors.append(
                ErrorDetail(
                    "invalid_email", "邮箱地址格式不正确", "Invalid email address", f"{channel}.address"
                )
            )
    elif address and channel == DispatchChannel.SMS:
        if not _MOBILE_RE.match(address):
            errors.append(
                ErrorDetail(
                    "invalid_phone", "请填写11位手机号码", "Invalid mobile number", f"{channel}.address"
                )
            )
    elif address:
        errors.append(
            ErrorDetail(
                "address_not_allowed",
                "机器人渠道使用部门配置的机器人，不能填写地址",
                "The robot channel uses the department's robot",
                f"{channel}.address",
            )
        )
    for kind in row.muted_kinds:
        if not isinstance(kind, str) or not kind or len(kind) > 40:
            errors.append(
                ErrorDetail("invalid_kind", "消息类别无效", "Invalid kind", f"{channel}.muted_kinds")
            )
            break
        if kind in URGENT_KINDS:
            errors.append(
                ErrorDetail(
                    "urgent_kind",
                    f"“{kind_label(kind)}”为紧急消息，不能关闭",
                    f"Urgent kind {kind} cannot be muted",
                    f"{channel}.muted_kinds",
                )
            )
    return errors


def preferences_set(
    *, user: User, rows: Sequence[PreferenceInput], at: dt.datetime | None = None
) -> list[ChannelPreference]:
    """Set the person's choices for external channels, all or nothing: bad input raises DomainError (fields
    named `<channel>.<field>`) and changes nothing. Applies to notifications queued from now on; those
    already queued keep the address they were given."""
    errors = [e for row in rows for e in _preference_errors(row)]
    if len({row.channel for row in rows}) != len(rows):
        errors.append(
            ErrorDetail("duplicate_channel", "同一渠道只能设置一次", "Channel given twice", "channel")
        )
    if errors:
        raise DomainError(*errors)
    at = at or clock_now()
    saved = []
    with transaction.atomic():
        for row in rows:
            muted = sorted(set(row.muted_kinds))
            pref, _ = ChannelPreference.objects.update_or_create(
                user=user,
                channel=row.channel,
                defaults={
                    "enabled": row.enabled,
                    "address": row.address.strip(),
                    "muted_kinds": muted,
                    "updated_at": at,
                },
            )
            saved.append(pref)
        audit_record(
            actor=user,
            action="notify.preferences_set",
            object_type="orgs.user",
            object_id=user.pk,
            data={
                row.channel: {
                    "enabled": row.enabled,
                    "own_address": bool(row.address.strip()),
                    "muted": sorted(set(row.muted_kinds)),
                }
                for row in rows
            },
        )
    return saved


def preference_set(
    *,
    user: User,
    channel: str,
    enabled: bool,
    address: str = "",
    muted_kinds: Sequence[str] = (),
    at: dt.datetime | None = None,
) -> ChannelPreference:
    """Set one external channel; see `preferences_set`."""
    row = PreferenceInput(channel=channel, enabled=enabled, address=address, muted_kinds=tuple(muted_kinds))
    return preferences_set(user=user, rows=[row], at=at)[0]


# --- operations (admin) ------------------------------------------------------------------------------------


def dispatch_retry(*, dispatch_ids: Sequence[int], actor: User | None, now: dt.datetime | None = None) -> int:
    """Put dead (or pending) dispatches back in the queue, due now, with a fresh attempt count."""
    now = now or clock_now()
    with transaction.atomic():
        count = Dispatch.objects.filter(
            pk__in=list(dispatch_ids), status__in=[DispatchStatus.DEAD, DispatchStatus.PENDING]
        ).update(status=DispatchStatus.PENDING, attempts=0, next_attempt_at=now, last_error="")
        if count:
            audit_record(
                actor=actor,
                action="notify.dispatch_retry",
                object_type="notify.dispatch",
                object_id=",".join(str(i) for i in sorted(dispatch_ids))[:200],
                data={"count": count},
            )
            if connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    cursor.execute("SELECT pg_notify(%s, '')", [WAKE_CHANNEL])
    return count


# --- retention ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PruneReport:
    dispatches: int
    notifications: int


def _delete_in_batches(qs: Any, batch: int) -> int:
    """Delete the rows of `qs`, lowest ids first, `batch` at a time (short transactions, no huge locks)."""
    deleted = 0
    while True:
        ids = list(qs.order_by("id").values_list("id", flat=True)[:batch])
        if not ids:
            return deleted
        deleted += qs.model.objects.filter(pk__in=ids).delete()[1].get(qs.model._meta.label, 0)
        if len(ids) < batch:
            return deleted


def notify_prune(
    *, now: dt.datetime, sent_days: int = 30, read_days: int = 365, batch: int = 5000
) -> PruneReport:
    """Keep the outbox small: delete sent dispatches older than `sent_days` (dead ones stay for the admin)
    and read inbox messages older than `read_days`. Unread messages are never deleted."""
    old_sent = Dispatch.objects.filter(
        status=DispatchStatus.SENT, created_at__lt=now - dt.timedelta(days=sent_days)
    )
    old_read = Notification.objects.filter(
        read_at__isnull=False, created_at__lt=now - dt.timedelta(days=read_days)
    )
    return PruneReport(
        dispatches=_delete_in_batches(old_sent, batch), notifications=_delete_in_batches(old_read, batch)
    )

"""Which external channels a notification goes out on, from each person's preferences (read in bulk).

Defaults, when a person has no preference row for a channel:
* email: on when the account has an email address;
* SMS: on when the account has a mobile number;
* webhook: on when one of the person's departments (from their role assignments) has an active robot; the
  robot of the lowest-numbered such department is used.
Channels not in use (NOTIFY_CHANNELS; SMS without a gateway URL) are never queued. Deactivated accounts
get their inbox entry but nothing external. A preference row can switch a channel off, give another
address (email/SMS) and mute kinds. Urgent kinds ignore mutes, and if every channel is off they still go by
email or SMS (see `onetrip.notify.kinds`).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import connection

from onetrip.notify.conf import enabled_channels
from onetrip.notify.kinds import IN_APP_ONLY_KINDS, is_urgent
from onetrip.notify.models import ChannelPreference, DepartmentRobot, DispatchChannel
from onetrip.orgs.models import RoleAssignment, User

# Recipients looked up per query; keeps each IN list well below every database's parameter limit.
_CHUNK = 900


@dataclass(frozen=True)
class Route:
    channel: str
    address: str
    robot_id: int | None = None


@dataclass
class _ChannelState:
    enabled: bool
    address: str
    robot_id: int | None = None
    muted: frozenset[str] = frozenset()


@dataclass
class RecipientRoutes:
    """One person's resolved channels; `for_kind` applies mutes and the urgent-kind rule."""

    channels: dict[str, _ChannelState] = field(default_factory=dict)

    def for_kind(self, kind: str) -> list[Route]:
        if kind in IN_APP_ONLY_KINDS:
            return []
        urgent = is_urgent(kind)
        routes = [
            Route(channel, state.address, state.robot_id)
            for channel, state in self.channels.items()
            if state.enabled and (state.address or state.robot_id) and (urgent or kind not in state.muted)
        ]
        if urgent and not routes:
            for channel in (DispatchChannel.EMAIL, DispatchChannel.SMS):
                state = self.channels.get(channel)
                if state and state.address:
                    return [Route(channel, state.address)]
        return routes


def _chunks(ids: list[int]) -> Iterable[list[int]]:
    for start in range(0, len(ids), _CHUNK):
        yield ids[start : start + _CHUNK]


def _routing_sql(count: int, *, robots: bool) -> str:
    """One statement for a chunk of recipients: each active account with its preference rows (LEFT JOIN on
    the unique (user, channel) index) and, when robots are in use, the active robot of the lowest-numbered
    department it holds a role in. Hand-written because it runs on every notification: building the same
    query through the ORM cost more CPU than the rest of `notify_send` together."""
    q = connection.ops.quote_name
    users, prefs = q(User._meta.db_table), q(ChannelPreference._meta.db_table)
    assignments, bots = q(RoleAssignment._meta.db_table), q(DepartmentRobot._meta.db_table)
    robot = (
        f"(SELECT r.id FROM {assignments} ra JOIN {bots} r ON r.department_id = ra.department_id "
        "WHERE ra.user_id = u.id AND r.is_active ORDER BY ra.department_id LIMIT 1)"
        if robots
        else "NULL"
    )
    ids = "= ANY(%s)" if connection.vendor == "postgresql" else f"IN ({', '.join(['%s'] * count)})"
    return (
        f"SELECT u.id, u.email, u.phone, {robot}, p.channel, p.enabled, p.address, p.muted_kinds "
        f"FROM {users} u LEFT JOIN {prefs} p ON p.user_id = u.id WHERE u.is_active AND u.id {ids}"
    )


def routes_for(recipient_ids: Iterable[int]) -> dict[int, RecipientRoutes]:
    """Resolve the channels of many recipients: one query per chunk of recipients."""
    ids = sorted(set(recipient_ids))
    in_use = [c for c in DispatchChannel.values if c in enabled_channels()]
    robots = DispatchChannel.WEBHOOK in in_use
    result: dict[int, RecipientRoutes] = {}
    for chunk in _chunks(ids):
        params: list[Any] = [chunk] if connection.vendor == "postgresql" else list(chunk)
        with connection.cursor() as cursor:
            cursor.execute(_routing_sql(len(chunk), robots=robots), params)
            rows = cursor.fetchall()
        for uid, email, phone, robot_id, channel, enabled, address, muted in rows:
            routes = result.get(uid)
            if routes is None:
                defaults = {
                    DispatchChannel.EMAIL: email or "",
                    DispatchChannel.SMS: phone or "",
                    DispatchChannel.WEBHOOK: "",
                }
                routes = result[uid] = RecipientRoutes(
                    channels={c: _ChannelState(enabled=True, address=defaults[c]) for c in in_use}
                )
                if robots:
                    routes.channels[DispatchChannel.WEBHOOK].robot_id = robot_id
            state = routes.channels.get(channel) if channel else None
            if state is None:
                continue  # no preference row, or one for a channel not in use
            state.enabled = bool(enabled)  # SQLite returns booleans as integers
            muted = json.loads(muted) if isinstance(muted, str) else muted  # JSON arrives as text
            state.muted = frozenset(muted or ())
            if address and channel != DispatchChannel.WEBHOOK:
                state.address = address
    return result

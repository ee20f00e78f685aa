"""消息通知 API, mounted at /api/v1/notify. Signed-in people only (browser session): their own messages.

- GET  /notify/notifications                 my messages, newest first (keyset: `before`, `limit`, `unread`)
- GET  /notify/notifications/unread-count    the unread badge
- POST /notify/notifications/{id}/read       mark one read
- POST /notify/notifications/read-all        mark all read
- GET  /notify/preferences                   my channels (email, SMS, robot) with defaults filled in
- PUT  /notify/preferences                   set some or all channels at once (all or nothing)
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from onetrip.core.errors import forbidden
from onetrip.notify import selectors, services
from onetrip.notify.kinds import URGENT_KINDS, kind_label
from onetrip.notify.models import Notification
from onetrip.orgs.auth import ScopedSessionAuth, request_user
from onetrip.orgs.models import User

router = Router(tags=["消息通知"])
SESSION = ScopedSessionAuth()


class InboxQuery(Schema):
    before: int | None = None
    limit: int = Field(20, ge=1, le=selectors.MAX_PAGE)
    unread: bool = False


class ChannelIn(Schema):
    channel: str = Field(..., description="email / sms / webhook")
    enabled: bool = True
    address: str = Field("", max_length=255, description="留空用账号登记的邮箱/手机号；机器人渠道不填")
    muted_kinds: list[str] = Field(default_factory=list, max_length=100)


class PreferencesIn(Schema):
    channels: list[ChannelIn] = Field(..., min_length=1, max_length=3)


def _user(request: HttpRequest) -> User:
    user = request_user(request)
    if user is None:
        raise forbidden()
    return user


def _out(n: Notification) -> dict[str, Any]:
    return {
        "id": n.pk,
        "kind": n.kind,
        "kind_label": kind_label(n.kind),
        "urgent": n.kind in URGENT_KINDS,
        "title": n.title,
        "body": n.body,
        "link": n.link,
        "created_at": n.created_at.isoformat(),
        "read_at": n.read_at.isoformat() if n.read_at else None,
    }


@router.get("/notifications", auth=SESSION)
def my_notifications(request: HttpRequest, filters: Query[InboxQuery]) -> dict[str, Any]:
    page = selectors.inbox_page(
        user=_user(request), before=filters.before, limit=filters.limit, unread_only=filters.unread
    )
    return {
        "items": [_out(n) for n in page.notifications],
        "next_before": page.next_before,
        "unread": page.unread,
    }


@router.get("/notifications/unread-count", auth=SESSION)
def my_unread_count(request: HttpRequest) -> dict[str, int]:
    return {"unread": selectors.unread_count(user=_user(request))}


@router.post("/notifications/read-all", auth=SESSION)
def read_all(request: HttpRequest) -> dict[str, int]:
    return {"marked": services.notification_mark_all_read(user=_user(request))}


@router.post("/notifications/{notification_id}/read", auth=SESSION)
def read_one(request: HttpRequest, notification_id: int) -> dict[str, Any]:
    return _out(services.notification_mark_read(user=_user(request), notification_id=notification_id))


def _preferences(user: User) -> dict[str, Any]:
    return {
        "channels": [
            {
                "channel": c.channel,
                "label": c.label,
                "available": c.available,
                "enabled": c.enabled,
                "address": c.address,
                "default_address": c.default_address,
                "muted_kinds": c.muted_kinds,
            }
            for c in selectors.channel_views(user=user)
        ],
        "kinds": [{"kind": code, "label": label} for code, label in selectors.mutable_kinds()],
        "urgent_kinds": [{"kind": code, "label": label} for code, label in selectors.urgent_kinds()],
    }


@router.get("/preferences", auth=SESSION)
def my_preferences(request: HttpRequest) -> dict[str, Any]:
    return _preferences(_user(request))


@router.put("/preferences", auth=SESSION)
def set_preferences(request: HttpRequest, payload: PreferencesIn) -> dict[str, Any]:
    user = _user(request)
    services.preferences_set(
        user=user,
        rows=[
            services.PreferenceInput(
                channel=c.channel, enabled=c.enabled, address=c.address, muted_kinds=tuple(c.muted_kinds)
            )
            for c in payload.channels
        ],
    )
    return _preferences(user)

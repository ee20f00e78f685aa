"""Reading notifications and preferences. Every read is the signed-in person's own rows, filtered in SQL on
the inbox indexes (recipient, id); pages are keyset pages on id, newest first."""

from __future__ import annotations

from dataclasses import dataclass

from onetrip.core.masking import mask_phone
from onetrip.notify.conf import enabled_channels
from onetrip.notify.kinds import IN_APP_ONLY_KINDS, KIND_LABELS, URGENT_KINDS
from onetrip.notify.models import ChannelPreference, DepartmentRobot, DispatchChannel, Notification
from onetrip.orgs.models import RoleAssignment, User

MAX_PAGE = 100
# The unread count stops counting here (the badge shows "99+"), so a huge backlog costs a bounded scan.
UNREAD_CAP = 1000


@dataclass(frozen=True)
class InboxPage:
    notifications: list[Notification]
    next_before: int | None
    unread: int


def unread_count(*, user: User) -> int:
    """Unread messages, up to UNREAD_CAP (read from the partial unread index)."""
    return Notification.objects.filter(recipient=user, read_at__isnull=True).values("id")[:UNREAD_CAP].count()


def inbox_page(
    *, user: User, before: int | None = None, limit: int = 20, unread_only: bool = False
) -> InboxPage:
    """One page of the person's inbox, newest first; `before` is the id the previous page ended at."""
    limit = max(1, min(limit, MAX_PAGE))
    qs = Notification.objects.filter(recipient=user).only(
        "id", "kind", "title", "body", "link", "data", "created_at", "read_at"
    )
    if unread_only:
        qs = qs.filter(read_at__isnull=True)
    if before is not None:
        qs = qs.filter(pk__lt=before)
    rows = list(qs.order_by("-id")[: limit + 1])
    more = len(rows) > limit
    rows = rows[:limit]
    return InboxPage(rows, rows[-1].pk if more and rows else None, unread_count(user=user))


@dataclass(frozen=True)
class ChannelView:
    channel: str
    label: str
    enabled: bool
    address: str  # the preference's own address, unmasked, for the settings form
    default_address: str  # what is used when `address` is blank, masked for display
    muted_kinds: list[str]
    available: bool  # the platform has this channel switched on


def channel_views(*, user: User) -> list[ChannelView]:
    """The person's three external channels, with defaults filled in."""
    prefs = {p.channel: p for p in ChannelPreference.objects.filter(user=user)}
    in_use = enabled_channels()
    robot = (
        DepartmentRobot.objects.filter(
            is_active=True,
            department_id__in=RoleAssignment.objects.filter(user=user, department__isnull=False).values(
                "department_id"
            ),
        )
        .select_related("department")
        .order_by("department_id")
        .first()
    )
    defaults = {
        DispatchChannel.EMAIL: user.email or "",
        DispatchChannel.SMS: mask_phone(user.phone),
        DispatchChannel.WEBHOOK: f"{robot.department} 群机器人" if robot else "",
    }
    views = []
    for channel in DispatchChannel:
        pref = prefs.get(channel)
        views.append(
            ChannelView(
                channel=channel.value,
                label=channel.label,
                enabled=pref.enabled if pref else True,
                address=pref.address if pref else "",
                default_address=defaults[channel],
                muted_kinds=list(pref.muted_kinds) if pref else [],
                available=channel.value in in_use,
            )
        )
    return views


def mutable_kinds() -> list[tuple[str, str]]:
    """Kinds a person may mute (urgent and in-app-only kinds are left out), as (code, label)."""
    return [
        (code, label)
        for code, label in KIND_LABELS.items()
        if code not in URGENT_KINDS and code not in IN_APP_ONLY_KINDS
    ]


def urgent_kinds() -> list[tuple[str, str]]:
    return [(code, KIND_LABELS.get(code, code)) for code in sorted(URGENT_KINDS)]

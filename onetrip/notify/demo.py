"""Demo data for notifications (idempotent): a welcome message in every demo user's inbox, pointing to the
notification settings. No group robot: its address and secret are a department's own (an admin adds them in
the admin), and an invented address would be a call to the internet waiting to happen.

Returns (label, total, created) rows like the other demo loaders; a second run creates nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import transaction

from onetrip.notify.models import Notification
from onetrip.notify.services import NotificationDraft, notify_send_many
from onetrip.orgs.models import User

WELCOME_TITLE = "欢迎使用消息中心"
WELCOME_BODY = (
    "办件受理、补正告知、办结出件、待办提醒、临期预警和督办通知都会发到这里。"
    "您还可以在“通知设置”中选择同时通过邮件、短信或政务钉钉群机器人接收，并关闭不需要的类别；"
    "超期告警、督办等紧急消息不能关闭。"
)


@dataclass
class NotifyDemoSummary:
    counts: list[tuple[str, int, int]] = field(default_factory=list)


@transaction.atomic
def notify_demo_load() -> NotifyDemoSummary:
    summary = NotifyDemoSummary()
    users = list(User.objects.filter(is_active=True).order_by("pk").values_list("pk", flat=True))
    created = notify_send_many(
        drafts=[
            NotificationDraft(
                recipient_id=pk,
                kind="welcome",
                title=WELCOME_TITLE,
                body=WELCOME_BODY,
                link="/notices/settings/",
                dedup_key=f"demo:welcome:{pk}",
            )
            for pk in users
        ]
    )
    summary.counts.append(("站内消息", Notification.objects.filter(kind="welcome").count(), created))
    return summary

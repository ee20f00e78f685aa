"""Demo data for notifications (idempotent): a welcome message in every demo user's inbox, pointing to the
notification settings, and an example group robot for 区市场监管局 that is left switched off (the demo runs
offline; an admin enters the real 浙政钉 robot address and secret and switches it on).

Returns (label, total, created) rows like the other demo loaders; a second run creates nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import transaction

from onetrip.notify.models import DepartmentRobot, Notification
from onetrip.notify.services import NotificationDraft, notify_send_many
from onetrip.orgs.models import Department, User

ROBOT_DEPARTMENT = "ld-scjg"
ROBOT_URL = "https://oapi.dingtalk.com/robot/send?access_token=REPLACE-WITH-THE-GROUP-ROBOT-TOKEN"
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
    robots_created = 0
    department = Department.objects.filter(code=ROBOT_DEPARTMENT).first()
    if department is not None:
        _, made = DepartmentRobot.objects.get_or_create(
            department=department,
            defaults={
                "name": f"{department.name}审批群机器人（示例，未启用）",
                "url": ROBOT_URL,
                "is_active": False,
            },
        )
        robots_created = int(made)
    summary.counts.append(("部门机器人", DepartmentRobot.objects.count(), robots_created))
    return summary

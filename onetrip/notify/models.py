"""Notifications: an outbox written in the same transaction as the event that causes it.

* `Notification`: one message to one person; it is also their in-app inbox entry. `dedup_key` is unique, so
  a retried sweep or a second worker can never make the same reminder twice.
* `Dispatch`: one delivery of a notification over an external channel (email, webhook, SMS), taken by the
  dispatcher with retries and backoff. Its address is fixed when it is queued.
* `ChannelPreference`: a person's choice for one external channel (on/off, own address, muted kinds).
  Without a row the channel is on whenever there is an address (see `onetrip.notify.routing`).
* `DepartmentRobot`: a department's DingTalk-style group robot (浙政钉), configured by admins.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q


class Notification(models.Model):
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notifications",
        verbose_name="接收人",
        db_index=False,  # covered by the inbox index (recipient, -id)
        # No database foreign key (see Dispatch.notification): the recipients are read from role
        # assignments in the same transaction, users are deactivated rather than deleted, and a deletion
        # through Django still cascades.
        db_constraint=False,
    )
    kind = models.CharField("类别", max_length=40)
    title = models.CharField("标题", max_length=255)
    body = models.TextField("内容", blank=True)
    link = models.CharField("链接", max_length=255, blank=True, help_text="站内路径；不得含个人信息")
    # Unique through the constraint below rather than unique=True: on PostgreSQL that would add a second,
    # pattern-ops index on the key, which no query uses and every bulk insert pays for.
    dedup_key = models.CharField("去重键", max_length=160)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField("时间")
    read_at = models.DateTimeField("已读时间", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "站内消息"
        constraints = [models.UniqueConstraint(fields=["dedup_key"], name="notify_dedup_key_unique")]
        indexes = [
            # The inbox: newest first, keyset-paged on id.
            models.Index(fields=["recipient", "-id"], name="notify_inbox"),
            # The unread badge and "mark all read" touch only unread rows.
            models.Index(fields=["recipient", "id"], condition=Q(read_at__isnull=True), name="notify_unread"),
        ]

    def __str__(self) -> str:
        return self.title


class DispatchChannel(models.TextChoices):
    EMAIL = "email", "电子邮件"
    WEBHOOK = "webhook", "政务钉钉机器人"
    SMS = "sms", "短信"


class DispatchStatus(models.TextChoices):
    PENDING = "pending", "待发送"
    SENT = "sent", "已发送"
    DEAD = "dead", "发送失败"


class DepartmentRobot(models.Model):
    """A department's group robot (DingTalk-style, standing in for 浙政钉). Messages are signed with the
    secret: `timestamp` + base64(HMAC-SHA256("timestamp\\nsecret")) appended to the URL."""

    department = models.OneToOneField(
        "orgs.Department", on_delete=models.CASCADE, related_name="robot", verbose_name="部门"
    )
    name = models.CharField("名称", max_length=64, blank=True)
    url = models.URLField("机器人地址", max_length=500, help_text="含 access_token 的 Webhook 地址")
    secret = models.CharField("加签密钥", max_length=128, blank=True, help_text="机器人安全设置中的加签密钥")
    is_active = models.BooleanField("启用", default=True)

    class Meta:
        verbose_name = verbose_name_plural = "部门机器人"

    def __str__(self) -> str:
        return self.name or f"{self.department} 机器人"


class ChannelPreference(models.Model):
    """One person's setting for one external channel. In-app messages are always on."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notify_preferences",
        verbose_name="用户",
        db_index=False,  # covered by the unique (user, channel)
    )
    channel = models.CharField("渠道", max_length=16, choices=DispatchChannel.choices)
    enabled = models.BooleanField("启用", default=True)
    address = models.CharField(
        "地址", max_length=255, blank=True, help_text="留空则用账号的邮箱/手机号；机器人渠道不填"
    )
    muted_kinds = models.JSONField("不接收的类别", default=list, blank=True)
    updated_at = models.DateTimeField("更新时间")

    class Meta:
        verbose_name = verbose_name_plural = "通知偏好"
        constraints = [models.UniqueConstraint(fields=["user", "channel"], name="notify_pref_once")]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_channel_display()}"


class Dispatch(models.Model):
    notification = models.ForeignKey(
        Notification,
        on_delete=models.CASCADE,
        related_name="dispatches",
        db_index=False,  # covered by the unique (notification, channel)
        # No database foreign key: PostgreSQL checks one per inserted row at commit (~12 µs each), and the
        # sweep writes 200,000 notifications and as many dispatches at once. Dispatches are only ever made
        # from the ids the notification INSERT returned in the same transaction, and Django cascades deletes.
        db_constraint=False,
    )
    channel = models.CharField("渠道", max_length=16, choices=DispatchChannel.choices)
    address = models.CharField("地址", max_length=255, help_text="邮箱或手机号，入队时确定；机器人渠道为空")
    robot = models.ForeignKey(
        DepartmentRobot,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name="机器人",
        db_index=False,  # a partial index below: email and SMS rows have none
    )
    status = models.CharField(
        "状态", max_length=16, choices=DispatchStatus.choices, default=DispatchStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField("尝试次数", default=0)
    # While a dispatcher is sending, this is pushed forward by the lease, so a crashed worker's
    # dispatches come due again instead of being lost.
    next_attempt_at = models.DateTimeField("下次发送时间")
    last_error = models.CharField("最近错误", max_length=255, blank=True)
    created_at = models.DateTimeField("入队时间")
    sent_at = models.DateTimeField("发送时间", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "消息投递"
        constraints = [
            models.UniqueConstraint(fields=["notification", "channel"], name="notify_dispatch_once")
        ]
        indexes = [
            # The dispatcher's queue: due pending rows in (next_attempt_at, id) order, read straight off it.
            models.Index(
                fields=["next_attempt_at", "id"],
                condition=Q(status="pending"),
                name="notify_dispatch_due",
            ),
            # The admin's list of failed deliveries; dead rows are few, so the index stays small.
            models.Index(fields=["-id"], condition=Q(status="dead"), name="notify_dispatch_dead"),
            models.Index(fields=["robot"], condition=Q(robot__isnull=False), name="notify_dispatch_robot"),
        ]

    def __str__(self) -> str:
        return f"{self.notification} · {self.get_channel_display()}"


class FoldCursor(models.Model):
    """How far `onetrip.notify.observe` has folded one event table (one row per table).

    Ids come from a sequence and can commit out of order on PostgreSQL: a transaction that took id 100 may
    commit after the one that took 101. So the cursor keeps `scanned_id` (the highest id folded) and `gaps`,
    the id ranges below it not seen yet, `[[low, high, first seen (ISO)], …]`; each fold looks into the gaps
    again, and a gap older than NOTIFY_FOLD_GAP_S is a rolled-back insert and is dropped. `folded_id` is the
    id up to which everything is folded (or given up), for the admin."""

    source = models.CharField("事件表", max_length=32, primary_key=True)
    folded_id = models.BigIntegerField("已全部处理至", default=0)
    scanned_id = models.BigIntegerField("已读取至", default=0)
    gaps = models.JSONField("待补读的编号段", default=list, blank=True)
    updated_at = models.DateTimeField("更新时间", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "事件通知游标"

    def __str__(self) -> str:
        return f"{self.source} ≤ {self.folded_id}"

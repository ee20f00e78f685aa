"""督办 and 代表结对监督.

* `SupervisionOrder`: a supervisor orders a department to act by a date, about a case, the department itself or
  one of its items; the department responds, the supervisor closes it or sends it back for a better response.
* `DeputyPairing`: a deputy of the people's congress (人大代表) paired with an item to supervise (三门县: every
  deputy pairs with at least two items).
* `DeputySuggestion`: after each activity the deputy submits suggestions on a paired item; they go to the
  item's department, which answers with a rectification plan within 7 working days (三门县).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from onetrip.catalog.models import Item
from onetrip.intake.models import Case
from onetrip.orgs.models import Department


class OrderTarget(models.TextChoices):
    CASE = "case", "办件"
    DEPARTMENT = "department", "部门"
    ITEM = "item", "事项"


class OrderStatus(models.TextChoices):
    ISSUED = "issued", "待反馈"
    RESPONDED = "responded", "已反馈"
    SENT_BACK = "sent_back", "退回重报"
    CLOSED = "closed", "已办结"


AWAITING_RESPONSE = (OrderStatus.ISSUED, OrderStatus.SENT_BACK)


class SupervisionOrder(models.Model):
    target = models.CharField("督办对象", max_length=16, choices=OrderTarget.choices)
    case = models.ForeignKey(
        Case, verbose_name="办件", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    item = models.ForeignKey(
        Item, verbose_name="事项", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    department = models.ForeignKey(
        Department, verbose_name="责任部门", on_delete=models.PROTECT, related_name="supervision_orders"
    )
    title = models.CharField("督办事由", max_length=200)
    content = models.TextField("督办要求")
    due_date = models.DateField("办理期限")
    due_at = models.DateTimeField("期限截止时间", help_text="期限当日下班时间")
    due_provisional = models.BooleanField("期限为临时结果", default=False, help_text="涉及未载入日历的年份")
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="督办人", on_delete=models.PROTECT, related_name="+"
    )
    issued_at = models.DateTimeField("督办时间")
    status = models.CharField("状态", max_length=16, choices=OrderStatus.choices, default=OrderStatus.ISSUED)
    response = models.TextField("办理情况反馈", blank=True)
    responded_at = models.DateTimeField("反馈时间", null=True, blank=True)
    responded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    rounds = models.PositiveSmallIntegerField("反馈次数", default=0)
    history = models.JSONField("往次反馈与退回意见", default=list, blank=True)
    closed_at = models.DateTimeField("办结时间", null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    closing_note = models.TextField("办结意见", blank=True)
    overdue = models.BooleanField("超期", default=False)

    class Meta:
        verbose_name = verbose_name_plural = "督办单"
        constraints = [
            models.CheckConstraint(
                condition=(Q(target="case") & Q(case__isnull=False) & Q(item__isnull=True))
                | (Q(target="item") & Q(item__isnull=False) & Q(case__isnull=True))
                | (Q(target="department") & Q(case__isnull=True) & Q(item__isnull=True)),
                name="order_target_matches",
            ),
        ]
        indexes = [
            models.Index(fields=["department", "status", "due_at"], name="order_department"),
            models.Index(fields=["issued_by", "-id"], name="order_issuer"),
            models.Index(
                fields=["due_at"],
                condition=Q(status__in=["issued", "sent_back"], overdue=False),
                name="order_open_due",
            ),
        ]

    def __str__(self) -> str:
        return f"督办 #{self.pk} {self.title}"

    @property
    def awaiting_response(self) -> bool:
        return self.status in AWAITING_RESPONSE


class DeputyPairing(models.Model):
    deputy = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="人大代表", on_delete=models.PROTECT, related_name="pairings"
    )
    item = models.ForeignKey(Item, verbose_name="结对事项", on_delete=models.PROTECT, related_name="+")
    is_active = models.BooleanField("有效", default=True)
    paired_at = models.DateTimeField("结对时间")
    paired_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    ended_at = models.DateTimeField("解除时间", null=True, blank=True)
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = verbose_name_plural = "代表结对"
        constraints = [
            models.UniqueConstraint(
                fields=["deputy", "item"], condition=Q(is_active=True), name="pairing_active_unique"
            )
        ]
        indexes = [
            models.Index(fields=["deputy", "is_active", "-id"], name="pairing_deputy"),
            models.Index(fields=["item", "is_active"], name="pairing_item"),
        ]

    def __str__(self) -> str:
        return f"{self.deputy} · {self.item}"


class ActivityKind(models.TextChoices):
    DAILY = "daily", "日常监督"
    UNANNOUNCED = "unannounced", "明察暗访"
    VISIT = "visit", "走访群众"
    INSPECTION = "inspection", "调研视察"
    REVIEW = "review", "监督评议"


class SuggestionStatus(models.TextChoices):
    AWAITING_PLAN = "awaiting_plan", "待提出整改方案"
    PLANNED = "planned", "已提出整改方案"
    CLOSED = "closed", "已办结"


class DeputySuggestion(models.Model):
    pairing = models.ForeignKey(
        DeputyPairing, verbose_name="结对", on_delete=models.PROTECT, related_name="suggestions"
    )
    deputy = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="人大代表", on_delete=models.PROTECT, related_name="+"
    )
    item = models.ForeignKey(Item, verbose_name="事项", on_delete=models.PROTECT, related_name="+")
    department = models.ForeignKey(
        Department, verbose_name="承办部门", on_delete=models.PROTECT, related_name="deputy_suggestions"
    )
    activity = models.CharField("监督方式", max_length=16, choices=ActivityKind.choices)
    activity_date = models.DateField("活动日期")
    content = models.TextField("整改意见建议")
    submitted_at = models.DateTimeField("提出时间")
    plan_due_at = models.DateTimeField("整改方案期限")
    due_provisional = models.BooleanField("期限为临时结果", default=False)
    status = models.CharField(
        "状态", max_length=16, choices=SuggestionStatus.choices, default=SuggestionStatus.AWAITING_PLAN
    )
    plan = models.TextField("整改方案", blank=True)
    planned_at = models.DateTimeField("方案提出时间", null=True, blank=True)
    planned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    plan_overdue = models.BooleanField("方案超期", default=False)
    rounds = models.PositiveSmallIntegerField("重新整改次数", default=0)
    history = models.JSONField("往次方案与退回意见", default=list, blank=True)
    closed_at = models.DateTimeField("办结时间", null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    closing_note = models.TextField("办结意见", blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "代表意见建议"
        indexes = [
            models.Index(fields=["department", "status", "plan_due_at"], name="suggestion_department"),
            models.Index(fields=["deputy", "-id"], name="suggestion_deputy"),
            models.Index(
                fields=["plan_due_at"],
                condition=Q(status="awaiting_plan", plan_overdue=False),
                name="suggestion_plan_due",
            ),
        ]

    def __str__(self) -> str:
        return f"代表建议 #{self.pk}"

"""好差评: ratings of a completed case or of an on-site visit, the rectification a bad rating opens, the
department's appeal against a mistaken or malicious rating, and the call-back / rectification limits.

* `Rating`: five levels, 5 非常满意 … 1 非常不满意 (1 and 2 are bad). An initial rating per case (by its
  applicant, once completed) or per served queue ticket (by its holder); one follow-up after the
  rectification of a bad one, which replaces it (the initial one becomes `replaced`). An upheld appeal voids a
  rating: it no longer counts anywhere.
* `Rectification`: opened by a bad initial rating for the handling department: call back within 1 working day,
  rectify within 15 (Zhejiang; `RatingPolicy` per region or the settings), overdue flags set by the sweep.
* `RatingAppeal`: one per rating, filed by the department, decided by a supervisor of its region.
* `RatingPolicy`: a region's limits and the department that answers for the comprehensive windows of its
  halls (the service centre); the nearest region up the tree applies, else the settings' defaults.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from onetrip.intake.models import Case, QueueTicket
from onetrip.orgs.models import Department, Region


class RatingLevel(models.IntegerChoices):
    VERY_SATISFIED = 5, "非常满意"
    SATISFIED = 4, "满意"
    BASICALLY_SATISFIED = 3, "基本满意"
    DISSATISFIED = 2, "不满意"
    VERY_DISSATISFIED = 1, "非常不满意"


BAD_LEVELS = frozenset({RatingLevel.DISSATISFIED.value, RatingLevel.VERY_DISSATISFIED.value})


class RatingKind(models.TextChoices):
    INITIAL = "initial", "首次评价"
    FOLLOW_UP = "follow_up", "追评"


class RatingStatus(models.TextChoices):
    VALID = "valid", "有效"
    REPLACED = "replaced", "已由追评替代"
    VOIDED = "voided", "申诉成立，已作废"


class Rating(models.Model):
    case = models.ForeignKey(
        Case, verbose_name="办件", null=True, blank=True, on_delete=models.PROTECT, related_name="ratings"
    )
    ticket = models.ForeignKey(
        QueueTicket,
        verbose_name="现场办事（排队号）",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="ratings",
    )
    rater = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="评价人", on_delete=models.PROTECT, related_name="+"
    )
    department = models.ForeignKey(
        Department, verbose_name="被评价部门", on_delete=models.PROTECT, related_name="ratings"
    )
    level = models.PositiveSmallIntegerField("评价等级", choices=RatingLevel.choices)
    comment = models.TextField("评价内容", blank=True)
    kind = models.CharField("类别", max_length=16, choices=RatingKind.choices, default=RatingKind.INITIAL)
    previous = models.OneToOneField(
        "self",
        verbose_name="追评所替代的评价",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="follow_up",
    )
    status = models.CharField("状态", max_length=16, choices=RatingStatus.choices, default=RatingStatus.VALID)
    created_at = models.DateTimeField("评价时间")
    voided_at = models.DateTimeField("作废时间", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "好差评"
        constraints = [
            models.CheckConstraint(condition=Q(level__gte=1, level__lte=5), name="rating_level_range"),
            models.CheckConstraint(
                condition=(Q(case__isnull=False) & Q(ticket__isnull=True))
                | (Q(case__isnull=True) & Q(ticket__isnull=False)),
                name="rating_one_subject",
            ),
            models.CheckConstraint(
                condition=(Q(kind="initial") & Q(previous__isnull=True))
                | (Q(kind="follow_up") & Q(previous__isnull=False)),
                name="rating_follow_up_has_previous",
            ),
            models.UniqueConstraint(
                fields=["case"], condition=Q(kind="initial"), name="rating_one_initial_per_case"
            ),
            models.UniqueConstraint(
                fields=["ticket"], condition=Q(kind="initial"), name="rating_one_initial_per_ticket"
            ),
        ]
        indexes = [
            models.Index(fields=["department", "-id"], name="rating_department"),
            models.Index(fields=["rater", "-id"], name="rating_rater"),
        ]

    def __str__(self) -> str:
        return f"{self.get_level_display()} #{self.pk}"

    @property
    def is_bad(self) -> bool:
        return self.level in BAD_LEVELS

    @property
    def onsite(self) -> bool:
        return self.ticket_id is not None

    @property
    def stats_case_id(self) -> int:
        """The case the statistics count the rating under: the rated case, the visit's case, or 0."""
        if self.case_id is not None:
            return self.case_id
        if self.ticket_id is None:
            return 0
        return self.ticket.case_id or 0


class RectificationStatus(models.TextChoices):
    AWAITING_CALLBACK = "callback", "待回访"
    RECTIFYING = "rectifying", "整改中"
    CLOSED = "closed", "已整改"
    VOIDED = "voided", "已撤销（申诉成立）"


OPEN_RECTIFICATION = (RectificationStatus.AWAITING_CALLBACK, RectificationStatus.RECTIFYING)


class Rectification(models.Model):
    rating = models.OneToOneField(
        Rating, verbose_name="差评", on_delete=models.PROTECT, related_name="rectification"
    )
    department = models.ForeignKey(
        Department, verbose_name="整改部门", on_delete=models.PROTECT, related_name="rectifications"
    )
    status = models.CharField(
        "状态",
        max_length=16,
        choices=RectificationStatus.choices,
        default=RectificationStatus.AWAITING_CALLBACK,
    )
    opened_at = models.DateTimeField("开始时间")
    callback_days = models.PositiveSmallIntegerField("回访时限（工作日）")
    rectify_days = models.PositiveSmallIntegerField("整改时限（工作日）")
    callback_due_at = models.DateTimeField("回访期限")
    rectify_due_at = models.DateTimeField("整改期限")
    due_provisional = models.BooleanField("期限为临时结果", default=False, help_text="涉及未载入日历的年份")
    called_back_at = models.DateTimeField("回访时间", null=True, blank=True)
    called_back_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    callback_note = models.TextField("回访情况", blank=True)
    closed_at = models.DateTimeField("整改完成时间", null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    rectify_note = models.TextField("整改情况", blank=True)
    callback_overdue = models.BooleanField("回访超期", default=False)
    rectify_overdue = models.BooleanField("整改超期", default=False)
    voided_at = models.DateTimeField("撤销时间", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "差评整改"
        indexes = [
            models.Index(fields=["department", "status", "rectify_due_at"], name="rectification_inbox"),
            # The sweep's two questions, each on a small partial index of the rows still open.
            models.Index(
                fields=["callback_due_at"],
                condition=Q(status="callback", callback_overdue=False),
                name="rectification_callback_due",
            ),
            models.Index(
                fields=["rectify_due_at"],
                condition=Q(status__in=["callback", "rectifying"], rectify_overdue=False),
                name="rectification_rectify_due",
            ),
        ]

    def __str__(self) -> str:
        return f"差评整改 #{self.pk}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_RECTIFICATION


class AppealReason(models.TextChoices):
    MISTAKEN = "mistaken", "误评"
    MALICIOUS = "malicious", "恶意差评"


class AppealStatus(models.TextChoices):
    PENDING = "pending", "待审核"
    UPHELD = "upheld", "申诉成立"
    REJECTED = "rejected", "申诉不成立"


class RatingAppeal(models.Model):
    rating = models.OneToOneField(
        Rating, verbose_name="评价", on_delete=models.PROTECT, related_name="appeal"
    )
    department = models.ForeignKey(
        Department, verbose_name="申诉部门", on_delete=models.PROTECT, related_name="rating_appeals"
    )
    reason = models.CharField("申诉理由", max_length=16, choices=AppealReason.choices)
    reasons = models.TextField("申诉说明")
    filed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="申诉人", on_delete=models.PROTECT, related_name="+"
    )
    filed_at = models.DateTimeField("申诉时间")
    status = models.CharField(
        "状态", max_length=16, choices=AppealStatus.choices, default=AppealStatus.PENDING
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField("审核时间", null=True, blank=True)
    decision_note = models.TextField("审核意见", blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "差评申诉"
        indexes = [models.Index(fields=["department", "status", "-id"], name="rating_appeal_department")]

    def __str__(self) -> str:
        return f"申诉 #{self.pk}"


class RatingPolicy(models.Model):
    """Limits for the rectification of bad ratings in a region (and the regions below it)."""

    region = models.OneToOneField(Region, verbose_name="区划", on_delete=models.CASCADE, related_name="+")
    callback_days = models.PositiveSmallIntegerField("回访时限（工作日）", default=1)
    rectify_days = models.PositiveSmallIntegerField("整改时限（工作日）", default=15)
    service_centre = models.ForeignKey(
        Department,
        verbose_name="大厅管理部门",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="综合窗口的现场评价由该部门负责整改",
    )
    updated_at = models.DateTimeField("更新时间")
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = verbose_name_plural = "好差评整改时限"
        constraints = [
            models.CheckConstraint(
                condition=Q(callback_days__gte=1, rectify_days__lte=60)
                & Q(rectify_days__gte=models.F("callback_days")),
                name="rating_policy_limits",
            )
        ]

    def __str__(self) -> str:
        return f"{self.region} 回访{self.callback_days}日 整改{self.rectify_days}日"

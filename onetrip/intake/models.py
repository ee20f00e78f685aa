"""Applying and one-window acceptance (申请与一窗受理).

An `Application` is what the applicant fills in: a draft that saves as they type, for one item or one
bundle (pinned to the published version it was started on). Submitting it makes a `Case` (idempotent on the
submission key). A case is accepted at the window (or online), accepted with deficiency (容缺, with
`Deficiency` commitments), answered by a one-time `Notice` (一次性告知, one per submission), or refused
(`Refusal`). An application not answered within 5 working days counts as accepted (行政许可法 第三十二条).
Uploaded files are `StoredFile`s, kept by content hash outside the web root. `QueueTicket` is the hall's
queue (智能排队叫号). `CaseEvent` is the applicant-visible timeline; the audit log keeps every change too.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from onetrip.bundles.models import Bundle, BundleVersion
from onetrip.catalog.models import Item, ItemVersion
from onetrip.orgs.models import Department, Region, ServiceHall, Window, WindowCategory


class Channel(models.TextChoices):
    ONLINE = "online", "网上申请"
    MOBILE = "mobile", "掌上办"
    WINDOW = "window", "窗口申请"
    PROXY = "proxy", "代办"
    API = "api", "系统接口"


# Channels where the applicant comes to the hall: each such submission counts one trip (跑动).
TRIP_CHANNELS = frozenset({Channel.WINDOW})


class ApplicationStatus(models.TextChoices):
    DRAFT = "draft", "草稿"
    SUBMITTED = "submitted", "已提交"
    ABANDONED = "abandoned", "已放弃"


class Application(models.Model):
    """The applicant's form, answers, optional-member choices and materials, saved as they type."""

    applicant = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="申请人", on_delete=models.PROTECT, related_name="applications"
    )
    # Exactly one target: an item version or a bundle version (pinned when the draft starts).
    item = models.ForeignKey(Item, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    item_version = models.ForeignKey(
        ItemVersion,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="事项版本",
    )
    bundle = models.ForeignKey(Bundle, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    bundle_version = models.ForeignKey(
        BundleVersion,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="一件事版本",
    )
    channel = models.CharField("申请渠道", max_length=16, choices=Channel.choices)
    # Who typed it: the applicant, a window clerk (窗口代录) or a proxy agent (代办员).
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    proxy_authorisation = models.JSONField("代办授权", default=dict, blank=True)
    chosen_members = models.JSONField("选择的可选成员", default=list, blank=True)
    answers = models.JSONField("情形问题回答", default=dict, blank=True)
    form_data = models.JSONField("表单数据", default=dict, blank=True)
    prefilled = models.JSONField("预填来源", default=dict, blank=True, help_text="字段 → 来源")
    status = models.CharField("状态", max_length=16, choices=ApplicationStatus.choices, default="draft")
    revision = models.PositiveIntegerField(
        "保存版本", default=0, help_text="每次保存加一，防止旧页面覆盖新内容"
    )
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        verbose_name = verbose_name_plural = "申请"
        indexes = [models.Index(fields=["applicant", "status", "-updated_at"])]
        constraints = [
            models.CheckConstraint(
                condition=(Q(item_version__isnull=False) & Q(bundle_version__isnull=True))
                | (Q(item_version__isnull=True) & Q(bundle_version__isnull=False)),
                name="application_one_target",
            ),
        ]

    def __str__(self) -> str:
        return f"申请 #{self.pk}"


class StoredFile(models.Model):
    """An uploaded file, stored once by its SHA-256 under MEDIA_ROOT/files (outside the web root)."""

    sha256 = models.CharField("摘要", max_length=64, unique=True)
    size = models.PositiveBigIntegerField("大小")
    content_type = models.CharField("类型", max_length=100, help_text="由内容判断，不信任文件名")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "文件"

    def __str__(self) -> str:
        return self.sha256[:12]


class MaterialState(models.TextChoices):
    UPLOADED = "uploaded", "已上传"
    E_LICENCE = "e_licence", "电子证照获取"
    SHARED = "shared", "共享数据获取"
    COMMITMENT = "commitment", "告知承诺"
    PAPER = "paper", "窗口收取纸质材料"
    MISSING = "missing", "缺少"


class ApplicationMaterial(models.Model):
    """One entry of the application's material checklist (a merged material for a bundle)."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="materials")
    key = models.CharField("材料键", max_length=128, help_text="事项材料编码，或一件事合并材料的键")
    name = models.CharField("材料名称", max_length=255)
    state = models.CharField("状态", max_length=16, choices=MaterialState.choices, default="missing")
    file = models.ForeignKey(StoredFile, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    file_name = models.CharField("原文件名", max_length=255, blank=True)
    source_note = models.CharField("来源说明", max_length=255, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = verbose_name_plural = "申请材料"
        constraints = [
            models.UniqueConstraint(fields=["application", "key"], name="application_material_unique")
        ]

    def __str__(self) -> str:
        return self.name


class CaseStatus(models.TextChoices):
    SUBMITTED = "submitted", "待受理"
    CORRECTION = "correction", "待补正"
    ACCEPTED = "accepted", "已受理"
    ACCEPTED_DEFICIENT = "accepted_deficient", "容缺受理"
    REFUSED = "refused", "不予受理"
    IN_PROGRESS = "in_progress", "办理中"
    COMPLETED = "completed", "已办结"
    WITHDRAWN = "withdrawn", "已撤回"
    TERMINATED = "terminated", "已终止"


class Case(models.Model):
    """One submitted application and everything that happens to it."""

    number = models.CharField("办件编号", max_length=32, unique=True, null=True, blank=True)
    application = models.OneToOneField(Application, on_delete=models.PROTECT, related_name="case")
    idempotency_key = models.CharField("提交幂等键", max_length=64, unique=True)
    applicant = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="申请人", on_delete=models.PROTECT, related_name="cases"
    )
    applicant_name = models.CharField("申请人名称", max_length=128)
    item_version = models.ForeignKey(
        ItemVersion, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    bundle_version = models.ForeignKey(
        BundleVersion, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    title = models.CharField("办件名称", max_length=255)
    lead_department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="lead_cases")
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+", verbose_name="受理区划")
    channel = models.CharField("申请渠道", max_length=16, choices=Channel.choices)
    trips = models.PositiveSmallIntegerField("跑动次数", default=0)
    status = models.CharField("状态", max_length=24, choices=CaseStatus.choices, default="submitted")
    submission = models.PositiveSmallIntegerField("提交次数", default=1, help_text="补正后重新提交加一")
    submitted_at = models.DateTimeField("提交时间")
    accept_due_at = models.DateTimeField("受理答复期限", help_text="5个工作日内未答复视为受理")
    accepted_at = models.DateTimeField("受理时间", null=True, blank=True)
    deemed_accepted = models.BooleanField("逾期视为受理", default=False)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    window = models.ForeignKey(Window, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    promised_due_at = models.DateTimeField("承诺办结时间", null=True, blank=True)
    statutory_due_at = models.DateTimeField("法定办结时间", null=True, blank=True)
    due_provisional = models.BooleanField("期限为临时结果", default=False, help_text="涉及未载入日历的年份")
    result_held = models.BooleanField("结果暂缓发放", default=False, help_text="容缺材料补齐前不发放结果")
    completed_at = models.DateTimeField("办结时间", null=True, blank=True)
    row_version = models.PositiveIntegerField(default=0, help_text="乐观锁：每次状态变化加一")

    class Meta:
        verbose_name = verbose_name_plural = "办件"
        indexes = [
            models.Index(fields=["applicant", "-submitted_at", "-id"]),
            models.Index(fields=["lead_department", "status", "-submitted_at", "-id"]),
            models.Index(fields=["region", "status", "-submitted_at", "-id"]),
            models.Index(fields=["status", "accept_due_at"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=(Q(item_version__isnull=False) & Q(bundle_version__isnull=True))
                | (Q(item_version__isnull=True) & Q(bundle_version__isnull=False)),
                name="case_one_target",
            ),
        ]

    def __str__(self) -> str:
        return self.number or f"待受理 #{self.pk}"


class CaseNumberCounter(models.Model):
    """Per region and year, the last case number issued. On PostgreSQL numbers come from a real SEQUENCE
    per region and year (no row lock); this table is the SQLite path and the registry of sequences."""

    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField()
    last = models.PositiveBigIntegerField(default=0)

    class Meta:
        verbose_name = verbose_name_plural = "办件编号计数"
        constraints = [models.UniqueConstraint(fields=["region", "year"], name="case_counter_unique")]

    def __str__(self) -> str:
        return f"{self.region_id}/{self.year}: {self.last}"


class CaseEvent(models.Model):
    """The case's timeline as the applicant and staff see it."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField("时间")
    kind = models.CharField("事件", max_length=32)
    title = models.CharField("说明", max_length=255)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "办件动态"
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["case", "at"])]

    def __str__(self) -> str:
        return self.title


class DeficiencyStatus(models.TextChoices):
    PENDING = "pending", "待补交"
    CHECKING = "checking", "已补交待核验"
    SUPPLIED = "supplied", "已补交"
    OVERDUE = "overdue", "逾期未补"


class Deficiency(models.Model):
    """A non-key 容缺-able material missing at acceptance, with the applicant's signed commitment."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="deficiencies")
    material_key = models.CharField("材料键", max_length=128)
    material_name = models.CharField("材料名称", max_length=255)
    due_date = models.DateField("承诺补交日期")
    commitment_text = models.TextField("承诺内容")
    signed_at = models.DateTimeField("签署时间")
    status = models.CharField("状态", max_length=16, choices=DeficiencyStatus.choices, default="pending")
    supplied_at = models.DateTimeField("补交时间", null=True, blank=True)
    file = models.ForeignKey(StoredFile, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    # The supplement: an upload (`file`) or an e-licence of the register (`licence`), by the applicant, their
    # agent or a window clerk; a clerk then checks it (accepted: supplied; rejected: pending again).
    file_name = models.CharField("原文件名", max_length=255, blank=True)
    licence = models.ForeignKey(
        "sharing.Licence",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="电子证照",
    )
    supplied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    checked_at = models.DateTimeField("核验时间", null=True, blank=True)
    checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    rejection_reason = models.TextField("未通过核验的原因", blank=True)
    reminded_at = models.DateTimeField("到期提醒时间", null=True, blank=True)
    overdue_noticed_at = models.DateTimeField("逾期告知时间", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "容缺材料"
        indexes = [
            models.Index(fields=["status", "due_date"]),
            # The sweeps' reads: reminders not yet sent, overdue rows not yet told.
            models.Index(
                fields=["due_date"],
                condition=Q(status="pending", reminded_at__isnull=True),
                name="deficiency_to_remind",
            ),
            models.Index(
                fields=["case"],
                condition=Q(status="overdue", overdue_noticed_at__isnull=True),
                name="deficiency_to_notice",
            ),
        ]
        constraints = [models.UniqueConstraint(fields=["case", "material_key"], name="deficiency_unique")]

    def __str__(self) -> str:
        return self.material_name


class Notice(models.Model):
    """一次性告知书: every problem with one submission, listed at once. One per case and submission."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="notices")
    submission = models.PositiveSmallIntegerField("对应提交次数")
    problems = models.JSONField("问题清单", help_text='[{"material_key"?, "field"?, "problem": "…"}]')
    issued_at = models.DateTimeField("告知时间")
    issued_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = verbose_name_plural = "一次性告知书"
        constraints = [
            models.UniqueConstraint(fields=["case", "submission"], name="one_notice_per_submission")
        ]

    def __str__(self) -> str:
        return f"{self.case} 第{self.submission}次告知"


class Refusal(models.Model):
    """不予受理决定: reasons and the legal basis."""

    case = models.OneToOneField(Case, on_delete=models.CASCADE, related_name="refusal")
    reasons = models.TextField("不予受理理由")
    legal_basis = models.TextField("法律依据")
    issued_at = models.DateTimeField("决定时间")
    issued_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = verbose_name_plural = "不予受理决定"

    def __str__(self) -> str:
        return f"{self.case} 不予受理"


class TicketStatus(models.TextChoices):
    BOOKED = "booked", "已预约"
    WAITING = "waiting", "等候中"
    CALLED = "called", "已叫号"
    SERVING = "serving", "办理中"
    DONE = "done", "已完成"
    SKIPPED = "skipped", "过号"
    CANCELLED = "cancelled", "已取消"


class QueueTicket(models.Model):
    """A queue number for a window category of a hall, taken on site or booked in advance."""

    hall = models.ForeignKey(ServiceHall, on_delete=models.PROTECT, related_name="tickets")
    category = models.CharField("窗口类别", max_length=32, choices=WindowCategory.choices)
    day = models.DateField("日期")
    number = models.CharField("号码", max_length=16)
    sequence = models.PositiveIntegerField("当日序号")
    holder = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField("状态", max_length=16, choices=TicketStatus.choices, default="waiting")
    booked_for = models.DateTimeField("预约时段", null=True, blank=True)
    taken_at = models.DateTimeField("取号时间")
    called_at = models.DateTimeField("叫号时间", null=True, blank=True)
    finished_at = models.DateTimeField("完成时间", null=True, blank=True)
    window = models.ForeignKey(Window, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    called_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    transfers = models.JSONField("转窗记录", default=list, blank=True)
    case = models.ForeignKey(Case, null=True, blank=True, on_delete=models.SET_NULL, related_name="tickets")

    class Meta:
        verbose_name = verbose_name_plural = "排队号"
        indexes = [models.Index(fields=["hall", "category", "day", "status", "sequence"])]
        constraints = [
            models.UniqueConstraint(
                fields=["hall", "category", "day", "sequence"], name="ticket_sequence_unique"
            )
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def waiting_seconds(self) -> int | None:
        if self.called_at is None:
            return None
        return int((self.called_at - self.taken_at).total_seconds())

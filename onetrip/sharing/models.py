"""Data sharing (数据共享), e-licences (电子证照) and the access log.

- `DataSource` is a department system the platform reads from: a local table of the platform's own shared
  records (`local_table`) or a department's HTTP JSON interface (`http`). `SourceElement` says which data
  elements it provides, under which of its fields, with an authority rank per element (lower wins) and
  whether it is the authoritative source (the applicant cannot change such a value).
- `SourceEntitlement` says which roles (optionally of which department, or which kind of applicant) may read
  a source. A classified source is read only through an approved `ExchangeRequest`.
- The record tables (`PersonRecord` … `StaffRecord`) are the local shared database of the demo and tests.
- `LicenceType` / `Licence`: the e-licence register; a licence type names the catalogue licence type it
  satisfies (`Material.licence_type`).
- `AccessLogEntry` is append-only: every read of a source (who, which elements, whose data, which case or
  task, why, when, outcome). The subject is stored as a keyed hash, never in clear. `AccessDailyCount` is the
  per-source, per-day rollup for supervision, updated in the transaction that writes the entries.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from onetrip.catalog.models import DataElement, Sensitivity
from onetrip.orgs.models import ApplicantKind, Department, Role


class SourceKind(models.TextChoices):
    LOCAL_TABLE = "local_table", "本地共享库"
    HTTP = "http", "部门接口（HTTP JSON）"


class DataSource(models.Model):
    code = models.SlugField("编码", max_length=64, unique=True)
    name = models.CharField("名称", max_length=128)
    department = models.ForeignKey(
        Department, verbose_name="数据提供部门", on_delete=models.PROTECT, related_name="data_sources"
    )
    kind = models.CharField("类型", max_length=16, choices=SourceKind.choices)
    sensitivity = models.CharField(
        "敏感级别", max_length=16, choices=Sensitivity.choices, default=Sensitivity.INTERNAL
    )
    subject_kind = models.CharField(
        "查询对象",
        max_length=16,
        choices=[("person", "自然人（身份证号）"), ("company", "法人（统一社会信用代码）")],
        default="person",
    )
    config = models.JSONField(
        "连接配置",
        default=dict,
        blank=True,
        help_text='本地：{"table": "person"}；接口：{"url", "credentials_ref", "timeout", "retries", '
        '"breaker_failures", "breaker_open_seconds"}。credentials_ref 是环境变量名，不填写密钥本身。',
    )
    description = models.TextField("说明", blank=True)
    is_active = models.BooleanField("启用", default=True)

    class Meta:
        verbose_name = verbose_name_plural = "数据源"
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class SourceElement(models.Model):
    source = models.ForeignKey(DataSource, on_delete=models.CASCADE, related_name="elements")
    element = models.ForeignKey(
        DataElement, verbose_name="数据元", on_delete=models.PROTECT, related_name="+"
    )
    field = models.CharField("源字段", max_length=64, help_text="本地表的列名，或接口返回的键")
    authority_rank = models.PositiveSmallIntegerField("权威等级", default=10, help_text="数值小者优先")
    authoritative = models.BooleanField("权威来源", default=False, help_text="申请人不得修改其值")

    class Meta:
        verbose_name = verbose_name_plural = "数据源数据元"
        constraints = [models.UniqueConstraint(fields=["source", "element"], name="source_element_unique")]
        indexes = [models.Index(fields=["element", "authority_rank"])]

    def __str__(self) -> str:
        return f"{self.source.code}:{self.field}"


class SourceEntitlement(models.Model):
    """A role (optionally of one department, or one kind of applicant) may read the source."""

    source = models.ForeignKey(DataSource, on_delete=models.CASCADE, related_name="entitlements")
    role = models.CharField("角色", max_length=32, choices=Role.choices)
    department = models.ForeignKey(
        Department, verbose_name="限定部门", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    applicant_kind = models.CharField(
        "限定申请人类型", max_length=16, choices=ApplicantKind.choices, blank=True
    )
    own_data_only = models.BooleanField(
        "仅限本人数据", default=False, help_text="申请人只能读取本人、本单位或本单位在编人员的数据"
    )

    class Meta:
        verbose_name = verbose_name_plural = "数据源授权"
        indexes = [models.Index(fields=["source", "role"])]

    def __str__(self) -> str:
        return f"{self.source.code} ← {self.role}"


class ExchangeStatus(models.TextChoices):
    PENDING = "pending", "待审批"
    APPROVED = "approved", "已批准"
    REJECTED = "rejected", "已驳回"


class ExchangeRequest(models.Model):
    """A request to read a classified source for one case or task (涉密数据交换审批)."""

    source = models.ForeignKey(DataSource, on_delete=models.PROTECT, related_name="exchange_requests")
    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name="申请人"
    )
    case = models.ForeignKey(
        "intake.Case", null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name="办件"
    )
    application = models.ForeignKey(
        "intake.Application", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    task_ref = models.CharField("任务", max_length=64, blank=True)
    reason = models.TextField("事由")
    status = models.CharField("状态", max_length=16, choices=ExchangeStatus.choices, default="pending")
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField("审批时间", null=True, blank=True)
    valid_until = models.DateTimeField("有效期至", null=True, blank=True)
    created_at = models.DateTimeField("申请时间")

    class Meta:
        verbose_name = verbose_name_plural = "数据交换申请"
        indexes = [models.Index(fields=["requester", "source", "status"])]

    def __str__(self) -> str:
        return f"交换申请 #{self.pk}"


# ------------------------------------------------------------------------------ shared record tables


class PersonRecord(models.Model):
    """人口库: one row per resident."""

    id_number = models.CharField("公民身份号码", max_length=18, unique=True)
    name = models.CharField("姓名", max_length=64)
    gender = models.CharField("性别", max_length=1)
    birth_date = models.DateField("出生日期")
    ethnicity = models.CharField("民族", max_length=16, default="汉族")
    household_register = models.CharField("户籍所在地", max_length=12)
    address = models.CharField("户籍地址", max_length=255)
    marital_status = models.CharField("婚姻状况", max_length=2)
    phone = models.CharField("联系电话", max_length=11, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "人口信息"

    def __str__(self) -> str:
        return f"人口信息 #{self.pk}"


class CompanyRecord(models.Model):
    """法人库 (企业登记)."""

    uscc = models.CharField("统一社会信用代码", max_length=18, unique=True)
    name = models.CharField("名称", max_length=128)
    legal_representative = models.CharField("法定代表人", max_length=64)
    address = models.CharField("住所", max_length=255)
    company_type = models.CharField("市场主体类型", max_length=16)
    registered_capital = models.DecimalField("注册资本（万元）", max_digits=14, decimal_places=2)
    business_scope = models.TextField("经营范围", blank=True)
    established = models.DateField("成立日期")
    phone = models.CharField("联系电话", max_length=11, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "法人信息"

    def __str__(self) -> str:
        return self.name


class SocialInsuranceRecord(models.Model):
    id_number = models.CharField("社会保障号码", max_length=18, unique=True)
    card_number = models.CharField("社会保障卡卡号", max_length=9)
    insured_region = models.CharField("参保地", max_length=12)
    contribution_months = models.PositiveIntegerField("累计缴费月数")
    medical_category = models.CharField("医疗保险险种", max_length=16)
    bank_account = models.CharField("待遇发放账号", max_length=32, blank=True)
    phone = models.CharField("登记电话", max_length=11, blank=True)
    employer_name = models.CharField("参保单位", max_length=128, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "社会保险信息"

    def __str__(self) -> str:
        return f"社保信息 #{self.pk}"


class HousingFundRecord(models.Model):
    id_number = models.CharField("公民身份号码", max_length=18, unique=True)
    account = models.CharField("住房公积金个人账号", max_length=20)
    employer_name = models.CharField("缴存单位", max_length=128)
    status = models.CharField("账户状态", max_length=16, help_text="normal 正常 / sealed 封存")
    opened = models.DateField("开户日期")

    class Meta:
        verbose_name = verbose_name_plural = "住房公积金信息"

    def __str__(self) -> str:
        return f"公积金信息 #{self.pk}"


class RealEstateRecord(models.Model):
    owner_id_number = models.CharField("权利人证件号", max_length=18, db_index=True)
    unit_number = models.CharField("不动产单元号", max_length=28, unique=True)
    certificate_no = models.CharField("不动产权证书号", max_length=64)
    location = models.CharField("坐落", max_length=255)
    area = models.DecimalField("建筑面积", max_digits=10, decimal_places=2)
    registered = models.DateField("登记日期")

    class Meta:
        verbose_name = verbose_name_plural = "不动产登记信息"

    def __str__(self) -> str:
        return f"不动产 #{self.pk}"


class StaffRecord(models.Model):
    """机构编制实名制 / 干部人事 (civil servants and public-institution staff)."""

    id_number = models.CharField("公民身份号码", max_length=18, unique=True)
    unit_name = models.CharField("工作单位", max_length=128)
    unit_uscc = models.CharField("单位统一社会信用代码", max_length=18, db_index=True)
    establishment_type = models.CharField("编制类型", max_length=32)
    position = models.CharField("职务（岗位）", max_length=64)
    retirement_date = models.DateField("退休时间", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "机关事业单位人员信息"

    def __str__(self) -> str:
        return f"人员信息 #{self.pk}"


class HouseholdRelation(models.TextChoices):
    """与户主关系 (the household register's relationship to the head of household, simplified)."""

    HEAD = "head", "户主"
    SPOUSE = "spouse", "配偶"
    CHILD = "child", "子女"
    PARENT = "parent", "父母"
    OTHER = "other", "其他"


class HouseholdMember(models.Model):
    """户籍家庭成员: one person's entry in a household register (户口簿), with their relationship to the head.
    The applicant's relatives (children, spouse, parents) follow from the household they share."""

    household_number = models.CharField("户号", max_length=32, db_index=True)
    id_number = models.CharField("公民身份号码", max_length=18, unique=True)
    name = models.CharField("姓名", max_length=64)
    gender = models.CharField("性别", max_length=1)
    birth_date = models.DateField("出生日期")
    relation = models.CharField("与户主关系", max_length=16, choices=HouseholdRelation.choices)

    class Meta:
        verbose_name = verbose_name_plural = "户籍家庭成员"

    def __str__(self) -> str:
        return f"户籍家庭成员 #{self.pk}"


# ------------------------------------------------------------------------------------ e-licences


class HolderKind(models.TextChoices):
    PERSON = "person", "自然人"
    COMPANY = "company", "法人"


class LicenceType(models.Model):
    code = models.SlugField("编码", max_length=64, unique=True)
    name = models.CharField("证照名称", max_length=64)
    issuer = models.ForeignKey(
        Department, verbose_name="发证部门", on_delete=models.PROTECT, related_name="licence_types"
    )
    satisfies = models.CharField(
        "对应材料证照类型", max_length=64, db_index=True, help_text="与事项材料的“电子证照类型”一致"
    )
    holder_kind = models.CharField("持证主体", max_length=16, choices=HolderKind.choices)

    class Meta:
        verbose_name = verbose_name_plural = "电子证照类型"
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class LicenceStatus(models.TextChoices):
    VALID = "valid", "有效"
    REVOKED = "revoked", "已注销"
    EXPIRED = "expired", "已过期"


class Licence(models.Model):
    licence_type = models.ForeignKey(LicenceType, on_delete=models.PROTECT, related_name="licences")
    holder = models.CharField("持证主体证件号", max_length=18, help_text="身份证号或统一社会信用代码")
    holder_name = models.CharField("持证主体名称", max_length=128)
    number = models.CharField("证照编号", max_length=64)
    issuer = models.ForeignKey(
        Department, verbose_name="发证机关", on_delete=models.PROTECT, related_name="+"
    )
    valid_from = models.DateField("有效期起")
    valid_to = models.DateField("有效期止", null=True, blank=True, help_text="空表示长期有效")
    status = models.CharField("状态", max_length=16, choices=LicenceStatus.choices, default="valid")
    file_sha256 = models.CharField("文件摘要", max_length=64, blank=True)
    file_ref = models.CharField("文件位置", max_length=255, blank=True)
    issued_at = models.DateTimeField("签发时间")
    case = models.ForeignKey(
        "intake.Case",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="来源办件",
    )
    revoked_at = models.DateTimeField("注销时间", null=True, blank=True)
    revoke_reason = models.CharField("注销原因", max_length=255, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "电子证照"
        constraints = [
            models.UniqueConstraint(fields=["licence_type", "number"], name="licence_number_unique"),
        ]
        indexes = [models.Index(fields=["holder", "status"])]

    def __str__(self) -> str:
        return f"{self.licence_type.name} {self.number}"


# ----------------------------------------------------------------------------------- access log


class AccessPurpose(models.TextChoices):
    PREFILL = "prefill", "申请预填"
    ACCEPTANCE = "acceptance", "受理核验"
    APPROVAL = "approval", "审批办理"
    LICENCE_CHECK = "licence_check", "证照核验"
    SUPERVISION = "supervision", "效能监督"


class AccessOutcome(models.TextChoices):
    OK = "ok", "已读取"
    NO_RECORD = "no_record", "无记录"
    FAILED = "failed", "读取失败"


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs: object) -> int:
        raise AppendOnlyError("access log entries are append-only")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError("access log entries are append-only")


class AppendOnlyError(Exception):
    """Raised on any attempt to change or delete an access-log entry."""


class AccessLogEntry(models.Model):
    """One read of one source. References carry no database constraint: the rows they name are never
    deleted (PROTECT in the ORM), and skipping six foreign-key checks per row keeps bulk appends fast."""

    at = models.DateTimeField("时间")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_constraint=False,
    )
    actor_label = models.CharField("查看人", max_length=150)
    actor_department = models.ForeignKey(
        Department,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_constraint=False,
        verbose_name="查看单位",
    )
    source = models.ForeignKey(
        DataSource, on_delete=models.PROTECT, related_name="+", db_constraint=False, verbose_name="数据源"
    )
    subject_hash = models.CharField("对象标识（HMAC）", max_length=64)
    elements = models.JSONField("数据元", default=list)
    case = models.ForeignKey(
        "intake.Case",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_constraint=False,
        verbose_name="办件",
    )
    application = models.ForeignKey(
        "intake.Application",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_constraint=False,
    )
    task_ref = models.CharField("任务", max_length=64, blank=True)
    exchange_request = models.ForeignKey(
        ExchangeRequest,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_constraint=False,
    )
    purpose = models.CharField("用途", max_length=16, choices=AccessPurpose.choices)
    outcome = models.CharField("结果", max_length=16, choices=AccessOutcome.choices)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = "数据查阅日志"
        indexes = [
            models.Index(fields=["subject_hash", "-id"]),
            models.Index(fields=["source", "-at"]),
            models.Index(fields=["case", "-at"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(case__isnull=False) | Q(application__isnull=False) | ~Q(task_ref=""),
                name="access_log_bound_to_case_or_task",
            )
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.source_id} {self.purpose}"

    def save(self, *args: object, **kwargs: object) -> None:
        if not self._state.adding:
            raise AppendOnlyError("access log entries are append-only")
        super().save(*args, **kwargs)  # type: ignore[arg-type]

    def delete(self, *args: object, **kwargs: object) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError("access log entries are append-only")


class AccessDailyCount(models.Model):
    """Per source and day: calls (reads) and exchanged elements, for supervision dashboards."""

    day = models.DateField("日期")
    source = models.ForeignKey(DataSource, on_delete=models.CASCADE, related_name="+")
    calls = models.PositiveIntegerField("调用次数", default=0)
    elements = models.PositiveIntegerField("交换数据项", default=0)
    failures = models.PositiveIntegerField("失败次数", default=0)

    class Meta:
        verbose_name = verbose_name_plural = "数据共享日统计"
        constraints = [models.UniqueConstraint(fields=["day", "source"], name="access_daily_unique")]

    def __str__(self) -> str:
        return f"{self.day} {self.source_id}"

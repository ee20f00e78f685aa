"""The service-item catalogue (事项库) with the national implementation-list elements.

`Item` is the stable identity of a catalogued service (its codes). Everything a guide says lives on an
`ItemVersion`: draft → review → published → retired. A published version is immutable — a change makes a
new version — and cases pin the version they were filed under. `Item` also carries a denormalised copy of
its current published version's searchable fields so catalogue search is one indexed query.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from onetrip.catalog.subjects import field_key
from onetrip.orgs.models import Department


class ItemType(models.TextChoices):
    """Power types; the value is also the two-digit prefix of the basic code."""

    LICENSING = "01", "行政许可"
    COLLECTION = "04", "行政征收"
    BENEFIT = "05", "行政给付"
    CONFIRMATION = "07", "行政确认"
    ADJUDICATION = "09", "行政裁决"
    OTHER_POWER = "10", "其他行政权力"
    PUBLIC_SERVICE = "20", "公共服务"


class ServiceObject(models.TextChoices):
    CITIZEN = "citizen", "自然人"
    COMPANY = "company", "法人"
    OFFICE = "office", "机关单位"


class HandlingKind(models.TextChoices):
    IMMEDIATE = "immediate", "即办件"
    PROMISED = "promised", "承诺件"


class HandlingForm(models.TextChoices):
    WINDOW = "window", "窗口办理"
    ONLINE = "online", "网上办理"
    MOBILE = "mobile", "掌上办理"
    POST = "post", "快递申请"


class LimitUnit(models.TextChoices):
    WORKING_DAYS = "working", "工作日"
    NATURAL_DAYS = "natural", "自然日"
    HOURS = "hours", "工作小时"


class ResultType(models.TextChoices):
    """审批结果类型, stored as the catalogue writes it. Every type but 无 produces a result the case must
    issue before it completes (a licence, an approval document, a certificate, or a refusal decision)."""

    LICENCE = "证照", "证照"
    APPROVAL = "审批", "审批决定"
    DOCUMENT = "批文", "批文"
    CERTIFICATE = "证明", "证明"
    OTHER = "其他", "其他"
    NONE = "无", "无（不出具结果）"


class ServiceScope(models.TextChoices):
    """通办范围: where the item can be applied for."""

    LOCAL = "local", "本级办理"
    COUNTY = "county", "全县通办"
    CITY = "city", "全市通办"
    PROVINCE = "province", "全省通办"
    NATION = "nation", "跨省通办"


class ThemeAudience(models.TextChoices):
    CITIZEN = "citizen", "个人生命周期"
    COMPANY = "company", "企业生命周期"
    INTERNAL = "internal", "机关内部职业周期"


class Theme(models.Model):
    code = models.SlugField("编码", max_length=32, unique=True)
    name = models.CharField("名称", max_length=32)
    audience = models.CharField("对象", max_length=16, choices=ThemeAudience.choices)
    order = models.PositiveSmallIntegerField("排序", default=0)

    class Meta:
        verbose_name = verbose_name_plural = "主题"
        ordering = ["audience", "order"]

    def __str__(self) -> str:
        return self.name


class DataType(models.TextChoices):
    STRING = "string", "文本"
    TEXT = "text", "长文本"
    INTEGER = "integer", "整数"
    DECIMAL = "decimal", "小数"
    DATE = "date", "日期"
    BOOLEAN = "boolean", "是/否"
    CHOICE = "choice", "单选"
    MULTI_CHOICE = "multi_choice", "多选"
    ID_NUMBER = "id_number", "身份证号"
    USCC = "uscc", "统一社会信用代码"
    PHONE = "phone", "手机号"
    REGION = "region", "行政区划"
    FILE = "file", "附件"


class Sensitivity(models.TextChoices):
    PUBLIC = "public", "公开"
    INTERNAL = "internal", "内部"
    SENSITIVE = "sensitive", "敏感"
    CLASSIFIED = "classified", "涉密"


class DataElement(models.Model):
    """A canonical field (数据元) shared by forms, materials and data sources, e.g. `person.id_number`."""

    code = models.CharField("编码", max_length=64, unique=True)
    name = models.CharField("名称", max_length=64)
    data_type = models.CharField("类型", max_length=16, choices=DataType.choices)
    max_length = models.PositiveIntegerField("最大长度", null=True, blank=True)
    options = models.JSONField("选项", default=list, blank=True)
    description = models.TextField("说明", blank=True)
    sensitivity = models.CharField("敏感级别", max_length=16, choices=Sensitivity.choices, default="internal")

    class Meta:
        verbose_name = verbose_name_plural = "数据元"
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.name}（{self.code}）"


class Law(models.Model):
    name = models.CharField("法律法规名称", max_length=200, unique=True)
    issuer = models.CharField("制定机关", max_length=100, blank=True)
    effective_date = models.DateField("施行日期", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "法律法规"
        ordering = ["name"]

    def __str__(self) -> str:
        return f"《{self.name}》"


class LegalReference(models.Model):
    """A law with an article: the basis of an item's power or of a material's requirement."""

    law = models.ForeignKey(Law, verbose_name="法律法规", on_delete=models.PROTECT, related_name="references")
    article = models.CharField("条款", max_length=64, blank=True)
    excerpt = models.TextField("条文内容", blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "法律依据"

    def __str__(self) -> str:
        return f"{self.law}{self.article}"


class Item(models.Model):
    """The stable identity of a catalogued service item (事项), main item or sub-item."""

    basic_code = models.CharField("基本编码", max_length=12, db_index=True)
    implementation_code = models.CharField("实施编码", max_length=31, unique=True)
    local_code = models.CharField("地方编码", max_length=64, blank=True, db_index=True)
    parent = models.ForeignKey(
        "self", verbose_name="主项", null=True, blank=True, on_delete=models.PROTECT, related_name="sub_items"
    )
    department = models.ForeignKey(
        Department, verbose_name="实施主体", on_delete=models.PROTECT, related_name="items"
    )
    created_at = models.DateTimeField("创建时间", auto_now_add=True)

    # Denormalised from the current published version (kept by catalog.services on publish/retire).
    current_version = models.OneToOneField(
        "ItemVersion",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name="现行版本",
    )
    name = models.CharField("事项名称", max_length=200, db_index=True)
    item_type = models.CharField("事项类型", max_length=2, choices=ItemType.choices)
    level = models.PositiveSmallIntegerField("行使层级")
    for_citizen = models.BooleanField("面向自然人", default=False)
    for_company = models.BooleanField("面向法人", default=False)
    for_office = models.BooleanField("面向机关", default=False)
    zero_trip = models.BooleanField("零跑动", default=False)
    online = models.BooleanField("可网办", default=False)
    theme_codes = models.CharField("主题编码", max_length=255, blank=True)
    search_text = models.TextField("检索文本", blank=True)
    is_published = models.BooleanField("已发布", default=False)

    class Meta:
        verbose_name = verbose_name_plural = "事项"
        ordering = ["implementation_code"]
        indexes = [
            models.Index(fields=["is_published", "department", "name"]),
            models.Index(fields=["is_published", "level"]),
            # Search joins its token matches to items for the filters; on PostgreSQL this narrow covering
            # index answers them without reading the wide item rows (other databases skip INCLUDE indexes).
            models.Index(
                fields=["id"],
                include=[
                    "is_published",
                    "level",
                    "online",
                    "zero_trip",
                    "for_citizen",
                    "for_company",
                    "for_office",
                    "department",
                    "theme_codes",
                ],
                name="catalog_item_search_filters",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_sub_item(self) -> bool:
        return self.parent_id is not None


class TokenKind(models.IntegerChoices):
    """How a search token relates to the item's Chinese name; a match's rank is the smallest kind it hits."""

    NAME = 1, "事项名称"
    NAME_PART = 2, "名称片段"
    OTHER = 3, "拼音、部门、主题"


class ItemSearchToken(models.Model):
    """One search token of a published item: every suffix of its name (so a prefix lookup finds any
    substring), of its name's pinyin and initials, and the words of its department and themes.

    It is a covering index: a lookup reads (token, kind, name, item) from the index alone, ranks and orders
    the matches there, and fetches only one page of items. The index itself is created per database in
    migration 0005 (varchar_pattern_ops on PostgreSQL for LIKE 'term%'; a plain B-tree on SQLite)."""

    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="search_tokens", db_index=False)
    token = models.CharField(max_length=64)
    kind = models.PositiveSmallIntegerField(choices=TokenKind.choices)
    name = models.CharField(max_length=200)

    class Meta:
        verbose_name = verbose_name_plural = "检索词"
        constraints = [models.UniqueConstraint(fields=["item", "token"], name="item_search_token_unique")]

    def __str__(self) -> str:
        return self.token


class VersionStatus(models.TextChoices):
    DRAFT = "draft", "草稿"
    REVIEW = "review", "待审核"
    PUBLISHED = "published", "已发布"
    RETIRED = "retired", "已废止"


class ImmutableVersionError(Exception):
    """Raised when something tries to change a version that is no longer a draft."""


class FrozenUnlessDraft(models.Model):
    """A version (of an item or a bundle) whose content may change only while it is a draft. Status moves
    (publish, retire) go through services with update_fields; any other save of a non-draft is refused."""

    status: str

    class Meta:
        abstract = True

    def save(self, *args: object, **kwargs: object) -> None:
        if self.pk and kwargs.get("update_fields") is None:
            stored = type(self)._default_manager.filter(pk=self.pk).values_list("status", flat=True).first()
            if stored is not None and stored != VersionStatus.DRAFT:
                raise ImmutableVersionError(f"{self} is {stored} and cannot change")
        super().save(*args, **kwargs)  # type: ignore[arg-type]

    @property
    def is_editable(self) -> bool:
        return self.status == VersionStatus.DRAFT


class ItemVersion(FrozenUnlessDraft):
    """One version of an item's guide (办事指南), with every element of the implementation list."""

    item = models.ForeignKey(Item, verbose_name="事项", on_delete=models.CASCADE, related_name="versions")
    version = models.PositiveIntegerField("版本号")
    status = models.CharField(
        "状态", max_length=16, choices=VersionStatus.choices, default=VersionStatus.DRAFT
    )
    effective_from = models.DateField("生效日期", null=True, blank=True)
    effective_to = models.DateField("失效日期", null=True, blank=True)
    change_note = models.TextField("修订说明", blank=True)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    created_by = models.ForeignKey(
        "orgs.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name="创建人"
    )
    submitted_at = models.DateTimeField("提交审核时间", null=True, blank=True)
    reviewed_by = models.ForeignKey(
        "orgs.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name="审核人"
    )
    published_at = models.DateTimeField("发布时间", null=True, blank=True)
    retired_at = models.DateTimeField("废止时间", null=True, blank=True)

    # 基本要素
    name = models.CharField("事项名称", max_length=200)
    item_type = models.CharField("事项类型", max_length=2, choices=ItemType.choices)
    power_source = models.CharField("权力来源", max_length=64, blank=True)
    legal_basis = models.ManyToManyField(
        LegalReference, verbose_name="设定依据", blank=True, related_name="+"
    )
    implementing_department = models.ForeignKey(
        Department, verbose_name="实施主体", on_delete=models.PROTECT, related_name="+"
    )
    delegating_department = models.ForeignKey(
        Department, verbose_name="委托部门", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    joint_departments = models.ManyToManyField(
        Department, verbose_name="联办机构", blank=True, related_name="+"
    )
    service_objects = models.JSONField("服务对象", default=list)
    handling_kind = models.CharField("办件类型", max_length=16, choices=HandlingKind.choices)
    acceptance_conditions = models.TextField("受理条件", blank=True)
    procedure = models.TextField("办理流程", blank=True)
    handling_forms = models.JSONField("办理形式", default=list)
    place = models.CharField("办理地点", max_length=255, blank=True)
    hours = models.CharField("办理时间", max_length=128, blank=True)
    # 时限：法定与承诺，数值 + 单位 + 说明
    statutory_limit = models.PositiveIntegerField("法定办结时限", null=True, blank=True)
    statutory_limit_unit = models.CharField(
        "法定时限单位", max_length=16, choices=LimitUnit.choices, default=LimitUnit.WORKING_DAYS
    )
    statutory_limit_note = models.CharField("法定时限说明", max_length=255, blank=True)
    promised_limit = models.PositiveIntegerField("承诺办结时限", null=True, blank=True)
    promised_limit_unit = models.CharField(
        "承诺时限单位", max_length=16, choices=LimitUnit.choices, default=LimitUnit.WORKING_DAYS
    )
    promised_limit_note = models.CharField("承诺时限说明", max_length=255, blank=True)
    trips = models.PositiveSmallIntegerField("到办事现场次数", default=0, help_text="0、1，或 2 表示多次")
    fee_required = models.BooleanField("是否收费", default=False)
    fee_basis = models.TextField("收费依据", blank=True)
    fee_items = models.JSONField("收费项目", default=list, blank=True)
    special_procedures = models.JSONField("特别程序", default=list, blank=True)
    quantity_limit = models.CharField("数量限制", max_length=255, blank=True)
    result_type = models.CharField(
        "结果类型",
        max_length=32,
        blank=True,
        choices=ResultType.choices,
        help_text="“无”表示该事项不出具办理结果，办结时不要求出具结果",
    )
    result_name = models.CharField("结果名称", max_length=128, blank=True)
    result_sample = models.CharField("结果样本", max_length=255, blank=True)
    intermediary_services = models.JSONField("中介服务", default=list, blank=True)
    online_depth = models.PositiveSmallIntegerField(
        "网办深度", default=0, help_text="0 不可网办 … 4 全程网办"
    )
    post_delivery = models.BooleanField("支持物流快递", default=False)
    online_payment = models.BooleanField("支持网上支付", default=False)
    appointment = models.BooleanField("支持预约办理", default=False)
    service_scope = models.CharField("通办范围", max_length=16, choices=ServiceScope.choices, default="local")
    themes = models.ManyToManyField(Theme, verbose_name="主题分类", blank=True, related_name="+")
    consultation = models.CharField("咨询方式", max_length=255, blank=True)
    complaint = models.CharField("监督投诉方式", max_length=255, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "事项版本"
        ordering = ["item", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["item", "version"], name="item_version_unique"),
            # At most one published version per item at a time.
            models.UniqueConstraint(
                fields=["item"], condition=Q(status="published"), name="one_published_version_per_item"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} v{self.version}"


class VersionPart(models.Model):
    """Base for everything that belongs to one item version and freezes with it."""

    version = models.ForeignKey(ItemVersion, on_delete=models.CASCADE, related_name="%(class)ss")
    order = models.PositiveIntegerField("排序", default=0)

    class Meta:
        abstract = True
        ordering = ["order", "id"]

    def save(self, *args: object, **kwargs: object) -> None:
        status = ItemVersion.objects.filter(pk=self.version_id).values_list("status", flat=True).first()
        if status is not None and status != VersionStatus.DRAFT:
            raise ImmutableVersionError(f"version {self.version_id} is {status}; parts cannot change")
        super().save(*args, **kwargs)  # type: ignore[arg-type]

    def delete(self, *args: object, **kwargs: object) -> tuple[int, dict[str, int]]:
        status = ItemVersion.objects.filter(pk=self.version_id).values_list("status", flat=True).first()
        if status is not None and status != VersionStatus.DRAFT:
            raise ImmutableVersionError(f"version {self.version_id} is {status}; parts cannot change")
        return super().delete(*args, **kwargs)  # type: ignore[arg-type]


class SituationQuestion(VersionPart):
    """A question that selects the situation (办事情形), e.g. 是否委托代理人办理."""

    code = models.SlugField("编码", max_length=64)
    text = models.CharField("问题", max_length=255)
    options = models.JSONField("选项", default=list, help_text='[{"value": "yes", "label": "是"}, …]')

    class Meta(VersionPart.Meta):
        verbose_name = verbose_name_plural = "情形问题"
        constraints = [models.UniqueConstraint(fields=["version", "code"], name="question_code_unique")]

    def __str__(self) -> str:
        return self.text


class Situation(VersionPart):
    """A variant of an item; `conditions` maps question codes to the answers that select it."""

    code = models.SlugField("编码", max_length=64)
    name = models.CharField("情形名称", max_length=200)
    description = models.TextField("说明", blank=True)
    conditions = models.JSONField("选择条件", default=dict, blank=True)

    class Meta(VersionPart.Meta):
        verbose_name = verbose_name_plural = "办事情形"
        constraints = [models.UniqueConstraint(fields=["version", "code"], name="situation_code_unique")]

    def __str__(self) -> str:
        return self.name


class MaterialKind(models.TextChoices):
    ORIGINAL = "original", "原件"
    COPY = "copy", "复印件"
    E_LICENCE = "e_licence", "电子证照"
    FORM = "form", "申请表格"


class MaterialNecessity(models.TextChoices):
    KEY = "key", "关键材料"
    NON_KEY = "non_key", "非关键材料"


class MaterialSource(models.TextChoices):
    APPLICANT = "applicant", "申请人自备"
    GOVERNMENT = "government", "政府部门核发"
    SHARED_DATA = "shared_data", "共享数据获取"
    E_LICENCE = "e_licence", "电子证照获取"


class Material(VersionPart):
    code = models.SlugField("编码", max_length=64)
    name = models.CharField("材料名称", max_length=255)
    kind = models.CharField("材料形式", max_length=16, choices=MaterialKind.choices)
    necessity = models.CharField("必要性", max_length=16, choices=MaterialNecessity.choices, default="key")
    deficiency_allowed = models.BooleanField("可容缺", default=False)
    source = models.CharField("来源渠道", max_length=16, choices=MaterialSource.choices, default="applicant")
    source_note = models.CharField("来源说明", max_length=255, blank=True)
    licence_type = models.CharField("电子证照类型", max_length=64, blank=True)
    paper_copies = models.PositiveSmallIntegerField("纸质份数", default=0)
    paper_size = models.CharField("纸张规格", max_length=16, blank=True)
    blank_form = models.CharField("空白表格", max_length=255, blank=True)
    sample = models.CharField("示例样表", max_length=255, blank=True)
    filling_notes = models.TextField("填报须知", blank=True)
    acceptance_standard = models.TextField("受理标准", blank=True)
    legal_basis = models.ManyToManyField(
        LegalReference, verbose_name="设定依据", blank=True, related_name="+"
    )
    situations = models.ManyToManyField(
        Situation, verbose_name="适用情形", blank=True, related_name="materials", help_text="不选表示所有情形"
    )
    data_elements = models.ManyToManyField(
        DataElement, verbose_name="涉及数据元", blank=True, related_name="+"
    )

    class Meta(VersionPart.Meta):
        verbose_name = verbose_name_plural = "申请材料"
        constraints = [
            models.UniqueConstraint(fields=["version", "code"], name="material_code_unique"),
            # Only a non-key material may be accepted while missing (容缺).
            models.CheckConstraint(
                condition=~Q(necessity="key", deficiency_allowed=True), name="key_material_not_deficiency"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class FieldSubject(models.TextChoices):
    """Whose data a form field holds (信息主体). Only the applicant's own fields are prefilled from the
    applicant's record; another person's can be prefilled from a relationship in a shared source (户籍)."""

    APPLICANT = "applicant", "申请人本人"
    CHILD = "child", "子女"
    SPOUSE = "spouse", "配偶"
    DECEASED = "deceased", "逝者"
    PRINCIPAL = "principal", "委托人"
    MOTHER = "mother", "母亲"
    FATHER = "father", "父亲"
    GROOM = "groom", "男方"
    BRIDE = "bride", "女方"
    SELLER = "seller", "出卖人"
    BUYER = "buyer", "买受人"
    OTHER = "other", "其他人员"


class FormField(VersionPart):
    """A field of the item's form: a data element, or an item-specific field when data_element is empty.
    `subject` says whose data it is (the applicant's, a child's, the deceased's …)."""

    code = models.CharField("字段编码", max_length=64)
    data_element = models.ForeignKey(
        DataElement, verbose_name="数据元", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    label = models.CharField("标签", max_length=128)
    subject = models.CharField(
        "信息主体",
        max_length=16,
        choices=FieldSubject.choices,
        default=FieldSubject.APPLICANT,
        help_text="该字段是谁的信息：申请人本人之外的人员（子女、逝者等）不会用申请人本人的信息预填",
    )
    field_type = models.CharField("类型", max_length=16, choices=DataType.choices)
    required = models.BooleanField("必填", default=True)
    max_length = models.PositiveIntegerField("最大长度", null=True, blank=True)
    options = models.JSONField("选项", default=list, blank=True)
    pattern = models.CharField("校验正则", max_length=255, blank=True)
    section = models.CharField("分组", max_length=64, blank=True)
    help_text = models.CharField("填写说明", max_length=255, blank=True)

    class Meta(VersionPart.Meta):
        verbose_name = verbose_name_plural = "表单字段"
        constraints = [models.UniqueConstraint(fields=["version", "code"], name="form_field_code_unique")]

    def __str__(self) -> str:
        return self.label

    @property
    def key(self) -> str:
        return field_key(self.data_element.code if self.data_element else None, self.subject, self.code)

    @property
    def effective_options(self) -> list[object]:
        """The field's own options, else its data element's: a field that reuses a coded element (婚姻状况
        GB/T 2261.2) need not repeat the code list."""
        if self.options:
            return list(self.options)
        return list(self.data_element.options) if self.data_element is not None else []

    @property
    def effective_max_length(self) -> int | None:
        if self.max_length is not None:
            return self.max_length
        return self.data_element.max_length if self.data_element is not None else None


class StepKind(models.TextChoices):
    START = "start", "开始"
    TASK = "task", "办理环节"
    END = "end", "结束"


class CountersignMode(models.TextChoices):
    SINGLE = "single", "单人办理"
    ALL = "all", "会签"
    ANY = "any", "或签"
    SEQUENCE = "sequence", "依次审批"


class TimeoutPolicy(models.TextChoices):
    REMIND = "remind", "催办"
    DEEM_APPROVED = "deem_approved", "超时默认"
    REJECT = "reject", "超时退回"
    ESCALATE = "escalate", "上报"


class ProcessStep(VersionPart):
    """A node of the item's process template. Edges are ProcessTransition rows: several outgoing
    transitions without conditions run in parallel (并联); a step with several incoming ones joins them."""

    code = models.SlugField("环节编码", max_length=64)
    name = models.CharField("环节名称", max_length=64)
    kind = models.CharField("类型", max_length=16, choices=StepKind.choices, default=StepKind.TASK)
    department = models.ForeignKey(
        Department, verbose_name="办理部门", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    role = models.CharField("办理角色", max_length=32, blank=True)
    limit = models.PositiveIntegerField("环节时限", null=True, blank=True)
    limit_unit = models.CharField("时限单位", max_length=16, choices=LimitUnit.choices, default="working")
    countersign = models.CharField(
        "会签方式", max_length=16, choices=CountersignMode.choices, default="single"
    )
    timeout_policy = models.CharField(
        "超时策略", max_length=16, choices=TimeoutPolicy.choices, default="remind"
    )

    class Meta(VersionPart.Meta):
        verbose_name = verbose_name_plural = "流程环节"
        constraints = [models.UniqueConstraint(fields=["version", "code"], name="process_step_code_unique")]

    def __str__(self) -> str:
        return self.name


class ProcessTransition(VersionPart):
    source = models.ForeignKey(ProcessStep, on_delete=models.CASCADE, related_name="outgoing")
    target = models.ForeignKey(ProcessStep, on_delete=models.CASCADE, related_name="incoming")
    condition = models.CharField("条件", max_length=255, blank=True, help_text="空表示无条件（并联分支）")

    class Meta(VersionPart.Meta):
        verbose_name = verbose_name_plural = "流程连线"
        constraints = [
            models.UniqueConstraint(fields=["source", "target"], name="transition_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.source.code} → {self.target.code}"

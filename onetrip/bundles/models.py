"""One-thing bundles (一件事): several catalogue items applied for with one submission.

`Bundle` is the stable identity (its code). Everything else lives on a `BundleVersion`:
draft → review → published → retired, immutable once it leaves draft, exactly like catalog.ItemVersion.
Cases pin the bundle version, and the bundle version pins its members' item versions.

Pinning rule (decided here): a draft member names an `Item` (+ optional situation code); publishing
resolves it to that item's current published `ItemVersion` (and the `Situation` of that code in it) and
freezes the pair on the member. A new draft copies item + situation code only, so it picks up the items'
newer guides when it is published. Until then, drafts are previewed against the items' current versions.

Stages (phased projects such as 立项 → 规划许可 → 施工许可 → 竣工验收): each stage is a bundle of its own
(with its own lead department), referenced by a `BundleStage` row; predecessor links order the stages.
Members belong to the bundle itself, never to a stage.

The combined process is a graph over members: an edge A → B means B starts after A has finished; members
with no path between them run in parallel; start and end are implicit.

On publish the merged form, merged materials, combined limit and reform figures are computed once and stored
in `BundleVersion.computed` (JSON), so reading them is one row.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from onetrip.catalog.models import (
    FrozenUnlessDraft,
    ImmutableVersionError,
    Item,
    ItemVersion,
    LimitUnit,
    Situation,
    Theme,
    VersionStatus,
)
from onetrip.orgs.models import Department


class BundleKind(models.TextChoices):
    ONE_DEPT_ONE_ITEM = "one_dept_one_item", "一个部门一个事项"
    MANY_DEPTS_ONE_ITEM = "many_depts_one_item", "多个部门一个事项"
    ONE_DEPT_MANY_ITEMS = "one_dept_many_items", "一个部门多个事项"
    MANY_DEPTS_MANY_ITEMS = "many_depts_many_items", "多个部门多个事项"


class Bundle(models.Model):
    """The stable identity of a one-thing (一件事), with a denormalised copy of its current published
    version's list fields (kept by bundles.services on publish/retire)."""

    code = models.SlugField("编码", max_length=64, unique=True)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    current_version = models.OneToOneField(
        "BundleVersion",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name="现行版本",
    )
    name = models.CharField("名称", max_length=200, db_index=True)
    is_published = models.BooleanField("已发布", default=False)

    class Meta:
        verbose_name = verbose_name_plural = "一件事"
        ordering = ["code"]
        indexes = [models.Index(fields=["is_published", "name"])]

    def __str__(self) -> str:
        return self.name or self.code


class BundleVersion(FrozenUnlessDraft):
    """One version of a bundle: its name, kind, themes, lead department, members, stages and process."""

    bundle = models.ForeignKey(
        Bundle, verbose_name="一件事", on_delete=models.CASCADE, related_name="versions"
    )
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

    name = models.CharField("名称", max_length=200)
    kind = models.CharField("类型", max_length=32, choices=BundleKind.choices)
    themes = models.ManyToManyField(Theme, verbose_name="主题", blank=True, related_name="+")
    lead_department = models.ForeignKey(
        Department, verbose_name="牵头部门", on_delete=models.PROTECT, related_name="+"
    )
    service_objects = models.JSONField("服务对象", default=list, blank=True)
    description = models.TextField("说明", blank=True)

    # Reform figures as the source documents state them (改革前/改革后); all optional.
    stated_trips_before = models.PositiveIntegerField("改革前跑动次数", null=True, blank=True)
    stated_trips_after = models.PositiveIntegerField("改革后跑动次数", null=True, blank=True)
    stated_materials_before = models.PositiveIntegerField("改革前材料数", null=True, blank=True)
    stated_materials_after = models.PositiveIntegerField("改革后材料数", null=True, blank=True)
    stated_fields_before = models.PositiveIntegerField("改革前表单字段数", null=True, blank=True)
    stated_fields_after = models.PositiveIntegerField("改革后表单字段数", null=True, blank=True)
    stated_steps_before = models.PositiveIntegerField("改革前环节数", null=True, blank=True)
    stated_steps_after = models.PositiveIntegerField("改革后环节数", null=True, blank=True)
    stated_limit_before = models.PositiveIntegerField("改革前办理时限", null=True, blank=True)
    stated_limit_after = models.PositiveIntegerField("改革后办理时限", null=True, blank=True)
    stated_limit_unit = models.CharField(
        "时限单位", max_length=16, choices=LimitUnit.choices, default=LimitUnit.WORKING_DAYS
    )
    stated_note = models.TextField("数据来源说明", blank=True)

    # Computed once at publish: merged form, merged materials, combined limit, figures (see merge.py etc.).
    computed = models.JSONField("发布时计算结果", default=dict, blank=True, editable=False)

    class Meta:
        verbose_name = verbose_name_plural = "一件事版本"
        ordering = ["bundle", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["bundle", "version"], name="bundle_version_unique"),
            models.UniqueConstraint(
                fields=["bundle"], condition=Q(status="published"), name="one_published_version_per_bundle"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} v{self.version}"


class BundlePart(models.Model):
    """Base for everything that belongs to one bundle version and freezes with it."""

    version = models.ForeignKey(BundleVersion, on_delete=models.CASCADE, related_name="%(class)ss")
    order = models.PositiveIntegerField("排序", default=0)

    class Meta:
        abstract = True
        ordering = ["order", "id"]

    def save(self, *args: object, **kwargs: object) -> None:
        # Publishing writes the resolved pins with update_fields inside its transaction; nothing else may.
        self._check_editable(kwargs.get("update_fields"))
        super().save(*args, **kwargs)  # type: ignore[arg-type]

    def delete(self, *args: object, **kwargs: object) -> tuple[int, dict[str, int]]:
        self._check_editable(None)
        return super().delete(*args, **kwargs)  # type: ignore[arg-type]

    def _check_editable(self, update_fields: object) -> None:
        status = BundleVersion.objects.filter(pk=self.version_id).values_list("status", flat=True).first()
        if status is not None and status != VersionStatus.DRAFT and update_fields is None:
            raise ImmutableVersionError(f"bundle version {self.version_id} is {status}; parts cannot change")


class BundleMember(BundlePart):
    """One item (optionally one situation of it) in the bundle; mandatory, or optional (点单)."""

    code = models.SlugField("成员编码", max_length=64, help_text="在本一件事内唯一，用作表单字段命名空间")
    item = models.ForeignKey(
        Item, verbose_name="事项", on_delete=models.PROTECT, related_name="bundle_members"
    )
    situation_code = models.SlugField("情形编码", max_length=64, blank=True, help_text="空表示整个事项")
    # Resolved and frozen at publish (see the module docstring); empty while the version is a draft.
    item_version = models.ForeignKey(
        ItemVersion,
        verbose_name="事项版本",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="bundle_members",
    )
    situation = models.ForeignKey(
        Situation, verbose_name="办事情形", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    optional = models.BooleanField("可选（点单）", default=False)
    depends_on = models.ManyToManyField(
        "self", verbose_name="依赖成员", symmetrical=False, blank=True, related_name="dependents"
    )

    class Meta(BundlePart.Meta):
        verbose_name = verbose_name_plural = "一件事成员"
        constraints = [models.UniqueConstraint(fields=["version", "code"], name="bundle_member_code_unique")]

    def __str__(self) -> str:
        return self.code


class BundleStage(BundlePart):
    """A phase of a phased project; the stage is a bundle of its own with its own lead department."""

    code = models.SlugField("阶段编码", max_length=64)
    name = models.CharField("阶段名称", max_length=64)
    stage_bundle = models.ForeignKey(
        Bundle, verbose_name="阶段一件事", on_delete=models.PROTECT, related_name="used_as_stage"
    )
    # Resolved and frozen at publish: the stage bundle's current published version.
    stage_version = models.ForeignKey(
        BundleVersion,
        verbose_name="阶段版本",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    predecessors = models.ManyToManyField(
        "self", verbose_name="前序阶段", symmetrical=False, blank=True, related_name="successors"
    )

    class Meta(BundlePart.Meta):
        verbose_name = verbose_name_plural = "一件事阶段"
        constraints = [models.UniqueConstraint(fields=["version", "code"], name="bundle_stage_code_unique")]

    def __str__(self) -> str:
        return self.name


class BundleProcessEdge(BundlePart):
    """An edge of the combined process: `target` starts after `source` has finished."""

    source = models.ForeignKey(BundleMember, on_delete=models.CASCADE, related_name="outgoing")
    target = models.ForeignKey(BundleMember, on_delete=models.CASCADE, related_name="incoming")

    class Meta(BundlePart.Meta):
        verbose_name = verbose_name_plural = "一件事流程连线"
        constraints = [models.UniqueConstraint(fields=["source", "target"], name="bundle_edge_unique")]

    def __str__(self) -> str:
        return f"{self.source.code} → {self.target.code}"

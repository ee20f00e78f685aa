"""Regions, departments, service halls and windows, users, role assignments and API keys."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q, Value
from django.db.models.functions import Coalesce


class RegionLevel(models.IntegerChoices):
    PROVINCE = 1, "省"
    CITY = 2, "市"
    COUNTY = 3, "县（市、区）"
    TOWNSHIP = 4, "乡镇（街道）"
    VILLAGE = 5, "村（社区）"


# Digits of the 12-digit division code that identify a region at each level; the rest are zeros.
REGION_PREFIX_LENGTH: dict[int, int] = {
    RegionLevel.PROVINCE: 2,
    RegionLevel.CITY: 4,
    RegionLevel.COUNTY: 6,
    RegionLevel.TOWNSHIP: 9,
    RegionLevel.VILLAGE: 12,
}


class Region(models.Model):
    """An administrative division; `code` is the 12-digit statistical division code (统计用区划代码)."""

    code = models.CharField("区划代码", max_length=12, unique=True)
    name = models.CharField("名称", max_length=64)
    level = models.PositiveSmallIntegerField("层级", choices=RegionLevel.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name="上级区划",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )

    class Meta:
        verbose_name = verbose_name_plural = "行政区划"
        ordering = ["code"]
        indexes = [models.Index(fields=["parent", "code"])]

    def __str__(self) -> str:
        return self.name

    @property
    def prefix(self) -> str:
        """The meaningful prefix of the code: every descendant's code starts with it."""
        return self.code[: REGION_PREFIX_LENGTH[self.level]]


class DepartmentLevel(models.IntegerChoices):
    """The level at which a body exercises power; also the level digit of an item's implementation code."""

    NATIONAL = 1, "国家级"
    PROVINCE = 2, "省级"
    CITY = 3, "市级"
    COUNTY = 4, "县级"
    TOWNSHIP = 5, "乡镇（街道）级"
    VILLAGE = 6, "村（社区）级"


class Department(models.Model):
    code = models.CharField("部门编码", max_length=32, unique=True)
    name = models.CharField("部门名称", max_length=128)
    short_name = models.CharField("简称", max_length=32, blank=True)
    uscc = models.CharField("统一社会信用代码", max_length=18, unique=True)
    level = models.PositiveSmallIntegerField("层级", choices=DepartmentLevel.choices)
    region = models.ForeignKey(
        Region, verbose_name="所在区划", on_delete=models.PROTECT, related_name="departments"
    )
    parent = models.ForeignKey(
        "self",
        verbose_name="上级部门",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    responsibilities = models.TextField("职责", blank=True)
    is_active = models.BooleanField("启用", default=True)

    class Meta:
        verbose_name = verbose_name_plural = "部门"
        ordering = ["code"]
        indexes = [models.Index(fields=["region", "level"])]

    def __str__(self) -> str:
        return self.short_name or self.name


class ServiceHall(models.Model):
    name = models.CharField("名称", max_length=128)
    region = models.ForeignKey(Region, verbose_name="区划", on_delete=models.PROTECT, related_name="halls")
    address = models.CharField("地址", max_length=255, blank=True)
    opening_hours = models.CharField("办公时间", max_length=128, blank=True)
    phone = models.CharField("咨询电话", max_length=32, blank=True)
    departments = models.ManyToManyField(
        Department, through="HallDepartment", verbose_name="进驻部门", related_name="halls", blank=True
    )

    class Meta:
        verbose_name = verbose_name_plural = "办事大厅"

    def __str__(self) -> str:
        return self.name


class HallDepartment(models.Model):
    """A department stationed in a hall (进驻部门), of any level: a city-level centre may be stationed in a
    district hall. The hall's comprehensive windows accept every item and bundle of its stationed departments
    (一窗受理); change the set through orgs.services.hall_departments_set, which audits it."""

    hall = models.ForeignKey(
        ServiceHall, verbose_name="大厅", on_delete=models.CASCADE, related_name="stations"
    )
    department = models.ForeignKey(
        Department, verbose_name="进驻部门", on_delete=models.PROTECT, related_name="stations"
    )

    class Meta:
        verbose_name = verbose_name_plural = "进驻部门"
        constraints = [
            # (hall, department): the clerk's acceptance filter reads the departments of a hall from it.
            models.UniqueConstraint(fields=["hall", "department"], name="hall_department_unique"),
        ]
        indexes = [models.Index(fields=["department", "hall"])]

    def __str__(self) -> str:
        return f"{self.hall} · {self.department}"


class WindowCategory(models.TextChoices):
    INVESTMENT = "investment", "投资项目审批"
    COMMERCIAL = "commercial", "商事登记"
    REAL_ESTATE = "real_estate", "不动产登记"
    MEDICAL_SOCIAL = "medical_social", "医保社保"
    PUBLIC_SECURITY = "public_security", "公安服务"
    GENERAL = "general", "其他综合事务"
    DEPARTMENT = "department", "部门即办窗口"


class Window(models.Model):
    hall = models.ForeignKey(
        ServiceHall, verbose_name="大厅", on_delete=models.CASCADE, related_name="windows"
    )
    number = models.CharField("窗口号", max_length=16)
    name = models.CharField("窗口名称", max_length=64)
    category = models.CharField("窗口类别", max_length=32, choices=WindowCategory.choices)
    department = models.ForeignKey(
        Department,
        verbose_name="部门（即办窗口）",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="windows",
    )
    is_active = models.BooleanField("启用", default=True)

    class Meta:
        verbose_name = verbose_name_plural = "窗口"
        constraints = [
            models.UniqueConstraint(fields=["hall", "number"], name="window_number_unique_in_hall"),
            # A department immediate-service window belongs to one department; comprehensive windows to none.
            models.CheckConstraint(
                condition=Q(category="department", department__isnull=False)
                | (~Q(category="department") & Q(department__isnull=True)),
                name="window_department_matches_category",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.name}"


class ApplicantKind(models.TextChoices):
    CITIZEN = "citizen", "个人"
    COMPANY = "company", "法人"
    OFFICE = "office", "机关单位"


class User(AbstractUser):
    """A person who signs in. Applicants and staff alike; what they may do comes from RoleAssignment."""

    display_name = models.CharField("姓名", max_length=64, blank=True)
    phone = models.CharField("手机号", max_length=20, blank=True)
    id_number = models.CharField("身份证号", max_length=18, blank=True, db_index=True)
    applicant_kind = models.CharField(
        "申请人类型", max_length=16, choices=ApplicantKind.choices, default=ApplicantKind.CITIZEN
    )
    organisation_code = models.CharField("单位统一社会信用代码", max_length=18, blank=True)
    organisation_name = models.CharField("单位名称", max_length=128, blank=True)
    # The `sub` claim of the unified identity provider (OIDC); NULL for local accounts, so it can be unique.
    oidc_subject = models.CharField("统一身份标识", max_length=255, null=True, blank=True, unique=True)

    class Meta:
        verbose_name = verbose_name_plural = "用户"

    def __str__(self) -> str:
        return self.display_name or self.username


class Role(models.TextChoices):
    APPLICANT = "applicant", "申请人"
    CLERK = "clerk", "综合窗口人员"
    HANDLER = "handler", "部门经办人"
    LEADER = "leader", "部门负责人"
    SUPERVISOR = "supervisor", "效能监管人员"
    CATALOG_ADMIN = "catalog_admin", "事项管理员"
    SYSTEM_ADMIN = "system_admin", "系统管理员"
    DEPUTY = "deputy", "人大代表"


class RoleAssignment(models.Model):
    """A role a user holds, scoped to a department (handlers, leaders, catalogue admins of a department) or a
    region (clerks of a hall, supervisors of a county). An unscoped staff role applies everywhere."""

    user = models.ForeignKey(User, verbose_name="用户", on_delete=models.CASCADE, related_name="roles")
    role = models.CharField("角色", max_length=32, choices=Role.choices)
    department = models.ForeignKey(
        Department, verbose_name="部门范围", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    region = models.ForeignKey(
        Region, verbose_name="区划范围", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    window = models.ForeignKey(
        Window, verbose_name="窗口", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = verbose_name_plural = "角色授权"
        constraints = [
            # One assignment per user, role and scope. COALESCE makes "no department"/"no region" compare
            # equal on every database (SQLite has no NULLS NOT DISTINCT).
            models.UniqueConstraint(
                "user",
                "role",
                Coalesce("department", Value(0)),
                Coalesce("region", Value(0)),
                name="role_assignment_unique",
            ),
        ]
        indexes = [models.Index(fields=["role", "department"])]

    def __str__(self) -> str:
        scope = self.department or self.region or "全局"
        return f"{self.user} · {self.get_role_display()} · {scope}"


class ApiKey(models.Model):
    """A per-application key for another system. Only a SHA-256 hash of the secret is stored."""

    name = models.CharField("应用名称", max_length=128)
    prefix = models.CharField("前缀", max_length=12, unique=True)
    secret_hash = models.CharField("密钥摘要", max_length=64)
    scopes = models.JSONField("权限范围", default=list)
    department = models.ForeignKey(
        Department, verbose_name="所属部门", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    expires_at = models.DateTimeField("过期时间", null=True, blank=True)
    last_used_at = models.DateTimeField("最近使用", null=True, blank=True)
    is_active = models.BooleanField("启用", default=True)

    class Meta:
        verbose_name = verbose_name_plural = "API 密钥"

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

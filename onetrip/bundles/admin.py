"""One-thing bundles in the Django admin (zh-hans).

Creating a bundle goes through bundles.services (code checks, draft v1); the actions 提交审核, 发布, 退回修改,
废止 and 新建修订版本 call the services, so publishing validates everything and stores the computed snapshot.
A version that is not a draft is read-only with read-only inlines; a catalogue admin scoped to departments
sees the bundles those departments lead.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html, format_html_join

from onetrip.bundles import services
from onetrip.bundles.models import (
    Bundle,
    BundleKind,
    BundleMember,
    BundleProcessEdge,
    BundleStage,
    BundleVersion,
)
from onetrip.catalog import selectors as catalog_selectors
from onetrip.catalog.models import ServiceObject, VersionStatus
from onetrip.core.errors import DomainError
from onetrip.orgs.models import Department


def _report(request: HttpRequest, label: str, exc: DomainError) -> None:
    for error in exc.errors:
        where = f"［{error.field}］" if error.field else ""
        messages.error(request, f"{label}：{where}{error.message_zh}")


def _scoped(request: HttpRequest, qs: QuerySet[Any], department_path: str) -> QuerySet[Any]:
    if request.user.is_superuser:
        return qs
    scope = catalog_selectors.edit_scope(request.user)
    if scope.everything:
        return qs
    return qs.filter(**{f"{department_path}__in": scope.department_ids})


# ------------------------------------------------------------------------------------------- bundles


class BundleCreateForm(forms.ModelForm):
    """Adding a bundle creates its draft v1 through services.bundle_create."""

    version_name = forms.CharField(label="名称", max_length=200)
    kind = forms.ChoiceField(label="类型", choices=BundleKind.choices)
    lead_department = forms.ModelChoiceField(label="牵头部门", queryset=Department.objects.all())

    class Meta:
        model = Bundle
        fields = ["code"]

    def clean_code(self) -> str:
        code = self.cleaned_data["code"]
        if Bundle.objects.filter(code=code).exists():
            raise forms.ValidationError(f"一件事编码 {code} 已存在")
        return code


class BundleVersionListInline(admin.TabularInline):
    model = BundleVersion
    fk_name = "bundle"
    extra = 0
    can_delete = False
    show_change_link = True
    fields = ["version", "status", "effective_from", "effective_to", "published_at"]
    readonly_fields = fields
    verbose_name_plural = "版本"

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Bundle)
class BundleAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "is_published", "created_at"]
    list_filter = ["is_published"]
    search_fields = ["code", "name"]
    show_full_result_count = False
    inlines = [BundleVersionListInline]
    readonly_fields = ["code", "name", "is_published", "current_version_link", "created_at"]
    fields = readonly_fields

    @admin.display(description="现行版本")
    def current_version_link(self, obj: Bundle) -> str:
        if obj.current_version_id is None:
            return "—"
        url = reverse("admin:bundles_bundleversion_change", args=[obj.current_version_id])
        return format_html('<a href="{}">{}</a>', url, obj.current_version)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Bundle]:
        qs = super().get_queryset(request)
        if request.user.is_superuser:
            return qs
        scope = catalog_selectors.edit_scope(request.user)
        if scope.everything:
            return qs
        return qs.filter(versions__lead_department_id__in=scope.department_ids).distinct()

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        if obj is None:
            kwargs["form"] = BundleCreateForm
        return super().get_form(request, obj, change, **kwargs)

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None:
            return ["code", "version_name", "kind", "lead_department"]
        return super().get_fields(request, obj)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return [] if obj is None else self.readonly_fields

    def get_inlines(self, request: HttpRequest, obj: Any) -> Any:
        return [] if obj is None else self.inlines

    def save_model(self, request: HttpRequest, obj: Bundle, form: Any, change: bool) -> None:
        if change:
            return  # a bundle's own fields are kept by the services
        data = form.cleaned_data
        bundle = services.bundle_create(
            code=data["code"],
            name=data["version_name"],
            kind=data["kind"],
            lead_department=data["lead_department"],
            user=request.user,
        )
        obj.pk = bundle.pk
        obj.__dict__.update({k: v for k, v in bundle.__dict__.items() if not k.startswith("_")})

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Bundles are never deleted (cases pin their versions); retire the published version instead.
        return False


# ----------------------------------------------------------------------------------------- versions


class FrozenWhenPublishedInline(admin.TabularInline):
    """Inline rows are editable only while their version is a draft; choices limited to this version."""

    extra = 0

    def _editable(self, obj: Any) -> bool:
        return obj is None or obj.status == VersionStatus.DRAFT

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._editable(obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._editable(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._editable(obj) and super().has_delete_permission(request, obj)

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        version = getattr(request, "_bundle_version", None)
        if db_field.related_model is BundleMember and version is not None:
            kwargs["queryset"] = BundleMember.objects.filter(version=version)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        version = getattr(request, "_bundle_version", None)
        if version is not None and db_field.related_model in (BundleMember, BundleStage):
            kwargs["queryset"] = db_field.related_model.objects.filter(version=version)
        return super().formfield_for_manytomany(db_field, request, **kwargs)


class MemberInline(FrozenWhenPublishedInline):
    model = BundleMember
    fields = [
        "order",
        "code",
        "item",
        "situation_code",
        "optional",
        "depends_on",
        "item_version",
        "situation",
    ]
    readonly_fields = ["item_version", "situation"]
    autocomplete_fields = ["item"]


class StageInline(FrozenWhenPublishedInline):
    model = BundleStage
    fk_name = "version"
    fields = ["order", "code", "name", "stage_bundle", "predecessors", "stage_version"]
    readonly_fields = ["stage_version"]
    autocomplete_fields = ["stage_bundle"]


class EdgeInline(FrozenWhenPublishedInline):
    model = BundleProcessEdge
    fields = ["order", "source", "target"]
    verbose_name_plural = "联办流程（连线：后者在前者办结后开始；无连线的成员并联办理）"


VERSION_READONLY = [
    "bundle_link",
    "version",
    "status",
    "effective_from",
    "effective_to",
    "submitted_at",
    "published_at",
    "retired_at",
    "figures_table",
]
VERSION_FIELDSETS: list[tuple[str, dict[str, list[str]]]] = [
    (
        "版本",
        {
            "fields": [
                "bundle_link",
                "version",
                "status",
                "effective_from",
                "effective_to",
                "submitted_at",
                "published_at",
                "retired_at",
                "change_note",
            ]
        },
    ),
    ("基本信息", {"fields": ["name", "kind", "lead_department", "themes", "service_objects", "description"]}),
    (
        "改革前后数据（来源文件所述）",
        {
            "fields": [
                "stated_trips_before",
                "stated_trips_after",
                "stated_materials_before",
                "stated_materials_after",
                "stated_fields_before",
                "stated_fields_after",
                "stated_steps_before",
                "stated_steps_after",
                "stated_limit_before",
                "stated_limit_after",
                "stated_limit_unit",
                "stated_note",
            ]
        },
    ),
    ("发布时计算", {"fields": ["figures_table"]}),
]


class BundleVersionForm(forms.ModelForm):
    service_objects = forms.MultipleChoiceField(
        label="服务对象", choices=ServiceObject.choices, widget=forms.CheckboxSelectMultiple, required=False
    )

    class Meta:
        model = BundleVersion
        fields = [f for _, opts in VERSION_FIELDSETS for f in opts["fields"] if f not in VERSION_READONLY]


@admin.register(BundleVersion)
class BundleVersionAdmin(admin.ModelAdmin):
    form = BundleVersionForm
    list_display = ["name", "bundle_code", "version", "status", "kind", "lead_department", "effective_from"]
    list_filter = ["status", "kind"]
    search_fields = ["name", "bundle__code"]
    list_select_related = ["bundle", "lead_department"]
    show_full_result_count = False
    autocomplete_fields = ["themes"]
    readonly_fields = VERSION_READONLY
    inlines = [MemberInline, StageInline, EdgeInline]
    actions = ["submit_for_review", "return_to_draft", "publish", "retire", "new_draft"]
    fieldsets = VERSION_FIELDSETS

    @admin.display(description="一件事")
    def bundle_link(self, obj: BundleVersion) -> str:
        url = reverse("admin:bundles_bundle_change", args=[obj.bundle_id])
        return format_html('<a href="{}">{}</a>', url, obj.bundle.code)

    @admin.display(description="编码", ordering="bundle__code")
    def bundle_code(self, obj: BundleVersion) -> str:
        return obj.bundle.code

    @admin.display(description="改革前后（计算）")
    def figures_table(self, obj: BundleVersion) -> str:
        rows = (obj.computed or {}).get("figures", {}).get("computed", [])
        if not rows:
            return "发布后计算"
        labels = {
            "trips": "跑动次数",
            "materials": "申请材料",
            "fields": "表单字段",
            "steps": "办理环节",
            "limit": "时限（工作日）",
        }
        body = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            (
                (
                    labels.get(r["measure"], r["measure"]),
                    r["before"],
                    r["after"],
                    f"{r['rate']}%" if r["rate"] else "—",
                )
                for r in rows
            ),
        )
        return format_html(
            "<table><tr><th>指标</th><th>改革前</th><th>改革后</th><th>减少</th></tr>{}</table>", body
        )

    def get_queryset(self, request: HttpRequest) -> QuerySet[BundleVersion]:
        return _scoped(request, super().get_queryset(request), "lead_department_id")

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        request._bundle_version = obj  # type: ignore[attr-defined]
        return super().get_form(request, obj, change, **kwargs)

    def has_add_permission(self, request: HttpRequest) -> bool:
        # Versions come from creating a bundle (v1) or from the action 新建修订版本.
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is not None and obj.status != VersionStatus.DRAFT:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def _run(self, request: HttpRequest, queryset: QuerySet[BundleVersion], label: str, call: Any) -> None:
        done = 0
        for version in queryset.select_related("bundle"):
            try:
                call(version)
                done += 1
            except DomainError as exc:
                _report(request, f"{version}", exc)
        if done:
            messages.success(request, f"{label}：{done} 个版本已完成")

    @admin.action(description="提交审核")
    def submit_for_review(self, request: HttpRequest, queryset: QuerySet[BundleVersion]) -> None:
        self._run(
            request,
            queryset,
            "提交审核",
            lambda v: services.bundle_version_submit(version=v, user=request.user),
        )

    @admin.action(description="退回修改")
    def return_to_draft(self, request: HttpRequest, queryset: QuerySet[BundleVersion]) -> None:
        self._run(
            request,
            queryset,
            "退回修改",
            lambda v: services.bundle_version_return(version=v, user=request.user),
        )

    @admin.action(description="发布")
    def publish(self, request: HttpRequest, queryset: QuerySet[BundleVersion]) -> None:
        self._run(
            request,
            queryset,
            "发布",
            lambda v: services.bundle_version_publish(version=v, user=request.user, require_review=True),
        )

    @admin.action(description="废止")
    def retire(self, request: HttpRequest, queryset: QuerySet[BundleVersion]) -> None:
        self._run(
            request, queryset, "废止", lambda v: services.bundle_version_retire(version=v, user=request.user)
        )

    @admin.action(description="新建修订版本")
    def new_draft(self, request: HttpRequest, queryset: QuerySet[BundleVersion]) -> None:
        self._run(
            request,
            queryset,
            "新建修订版本",
            lambda v: services.bundle_version_new_draft(bundle=v.bundle, user=request.user),
        )

"""Catalogue maintenance in the Django admin (zh-hans).

Writes that matter go through catalog.services: creating an item (codes), and the actions 提交审核, 发布,
废止, 新建修订版本. A version that is not a draft is shown read-only with read-only inlines; a catalogue
admin scoped to departments sees only those departments' items.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html

from onetrip.catalog import codes, selectors, services
from onetrip.catalog.models import (
    DataElement,
    FormField,
    HandlingForm,
    Item,
    ItemType,
    ItemVersion,
    Law,
    LegalReference,
    Material,
    ProcessStep,
    ProcessTransition,
    ServiceObject,
    Situation,
    SituationQuestion,
    Theme,
    VersionStatus,
)
from onetrip.core.errors import DomainError


def _report(request: HttpRequest, label: str, exc: DomainError) -> None:
    for error in exc.errors:
        where = f"［{error.field}］" if error.field else ""
        messages.error(request, f"{label}：{where}{error.message_zh}")


def _scoped(request: HttpRequest, qs: QuerySet[Any], department_path: str) -> QuerySet[Any]:
    if request.user.is_superuser:
        return qs
    scope = selectors.edit_scope(request.user)
    if scope.everything:
        return qs
    return qs.filter(**{f"{department_path}__in": scope.department_ids})


@admin.register(Theme)
class ThemeAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "audience", "order"]
    list_filter = ["audience"]
    search_fields = ["name", "code"]


@admin.register(DataElement)
class DataElementAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "data_type", "sensitivity"]
    list_filter = ["data_type", "sensitivity"]
    search_fields = ["code", "name"]


class LegalReferenceInline(admin.TabularInline):
    model = LegalReference
    extra = 0
    fields = ["article", "excerpt"]


@admin.register(Law)
class LawAdmin(admin.ModelAdmin):
    list_display = ["name", "issuer", "effective_date"]
    search_fields = ["name"]
    inlines = [LegalReferenceInline]


@admin.register(LegalReference)
class LegalReferenceAdmin(admin.ModelAdmin):
    list_display = ["law", "article"]
    search_fields = ["law__name", "article"]
    autocomplete_fields = ["law"]


# -------------------------------------------------------------------------------------------- items


class ItemCreateForm(forms.ModelForm):
    """Adding an item: the codes are checked here (as form errors) and again by services.item_create."""

    item_type = forms.ChoiceField(label="事项类型", choices=ItemType.choices)
    level = forms.TypedChoiceField(
        label="行使层级",
        coerce=int,
        required=False,
        empty_value=None,
        help_text="不选则取实施主体的层级",
        choices=[("", "—"), *[(i, str(i)) for i in range(1, 7)]],
    )

    class Meta:
        model = Item
        fields = ["department", "basic_code", "item_type", "name", "level", "parent", "local_code"]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        department = data.get("department")
        basic_code = data.get("basic_code") or ""
        for error in codes.basic_code_errors(basic_code, item_type=data.get("item_type")):
            self.add_error("basic_code", error.message_zh)
        if department is not None and not self.errors:
            level = data.get("level") or department.level
            code = codes.implementation_code(
                department_uscc=department.uscc, level=level, basic_code=basic_code
            )
            if Item.objects.filter(implementation_code=code).exists():
                self.add_error("basic_code", f"实施编码 {code} 已存在")
        return data


class VersionListInline(admin.TabularInline):
    model = ItemVersion
    fk_name = "item"
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


@admin.register(Item)
class ItemAdmin(admin.ModelAdmin):
    list_display = ["implementation_code", "name", "department", "item_type", "level", "is_published"]
    list_filter = ["is_published", "item_type", "level", "zero_trip", "online"]
    search_fields = ["name", "implementation_code", "basic_code", "local_code"]
    list_select_related = ["department"]
    show_full_result_count = False
    inlines = [VersionListInline]
    readonly_fields = [
        "implementation_code",
        "basic_code",
        "department",
        "name",
        "item_type",
        "level",
        "current_version_link",
        "is_published",
        "zero_trip",
        "online",
        "theme_codes",
    ]
    fields = [*readonly_fields, "parent", "local_code"]
    raw_id_fields = ["parent"]

    @admin.display(description="现行版本")
    def current_version_link(self, obj: Item) -> str:
        if obj.current_version_id is None:
            return "—"
        url = reverse("admin:catalog_itemversion_change", args=[obj.current_version_id])
        return format_html('<a href="{}">{}</a>', url, obj.current_version)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Item]:
        return _scoped(request, super().get_queryset(request), "department_id")

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        if obj is None:
            kwargs["form"] = ItemCreateForm
        return super().get_form(request, obj, change, **kwargs)

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None:
            return ItemCreateForm.Meta.fields
        return super().get_fields(request, obj)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return [] if obj is None else self.readonly_fields

    def get_inlines(self, request: HttpRequest, obj: Any) -> Any:
        return [] if obj is None else self.inlines

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "department" and not request.user.is_superuser:
            scope = selectors.edit_scope(request.user)
            if not scope.everything:
                kwargs["queryset"] = db_field.related_model.objects.filter(pk__in=scope.department_ids)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request: HttpRequest, obj: Item, form: Any, change: bool) -> None:
        if change:
            super().save_model(request, obj, form, change)
            return
        data = form.cleaned_data
        item = services.item_create(
            department=data["department"],
            basic_code=data["basic_code"],
            item_type=data["item_type"],
            name=data["name"],
            level=data.get("level"),
            parent=data.get("parent"),
            local_code=data.get("local_code") or "",
            user=request.user,
        )
        obj.pk = item.pk
        obj.__dict__.update({k: v for k, v in item.__dict__.items() if not k.startswith("_")})

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Items are never deleted (cases pin their versions); retire the published version instead.
        return False


# ----------------------------------------------------------------------------------------- versions


class FrozenWhenPublishedInline(admin.TabularInline):
    """Inline rows are editable only while their version is a draft."""

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
        version = getattr(request, "_catalog_version", None)
        if db_field.related_model is ProcessStep and version is not None:
            kwargs["queryset"] = ProcessStep.objects.filter(version=version)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        version = getattr(request, "_catalog_version", None)
        if db_field.related_model is Situation and version is not None:
            kwargs["queryset"] = Situation.objects.filter(version=version)
        return super().formfield_for_manytomany(db_field, request, **kwargs)


class QuestionInline(FrozenWhenPublishedInline):
    model = SituationQuestion
    fields = ["order", "code", "text", "options"]


class SituationInline(FrozenWhenPublishedInline):
    model = Situation
    fields = ["order", "code", "name", "description", "conditions"]


class MaterialInline(FrozenWhenPublishedInline):
    model = Material
    fields = [
        "order",
        "code",
        "name",
        "kind",
        "necessity",
        "deficiency_allowed",
        "source",
        "licence_type",
        "paper_copies",
        "acceptance_standard",
        "legal_basis",
        "situations",
    ]
    autocomplete_fields = ["legal_basis"]


class FormFieldInline(FrozenWhenPublishedInline):
    model = FormField
    fields = [
        "order",
        "code",
        "data_element",
        "subject",
        "label",
        "field_type",
        "required",
        "max_length",
        "section",
    ]
    autocomplete_fields = ["data_element"]


class StepInline(FrozenWhenPublishedInline):
    model = ProcessStep
    fields = [
        "order",
        "code",
        "name",
        "kind",
        "department",
        "role",
        "limit",
        "limit_unit",
        "countersign",
        "timeout_policy",
    ]


class TransitionInline(FrozenWhenPublishedInline):
    model = ProcessTransition
    fields = ["order", "source", "target", "condition"]


VERSION_READONLY = [
    "item_link",
    "version",
    "status",
    "effective_to",
    "submitted_at",
    "published_at",
    "retired_at",
]
VERSION_FIELDSETS: list[tuple[str, dict[str, list[str]]]] = [
    (
        "版本",
        {
            "fields": [
                "item_link",
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
    (
        "基本要素",
        {
            "fields": [
                "name",
                "item_type",
                "power_source",
                "legal_basis",
                "implementing_department",
                "delegating_department",
                "joint_departments",
                "service_objects",
                "themes",
            ]
        },
    ),
    (
        "办理要求",
        {
            "fields": [
                "handling_kind",
                "acceptance_conditions",
                "procedure",
                "handling_forms",
                "place",
                "hours",
                "service_scope",
                "trips",
                "online_depth",
                "appointment",
                "post_delivery",
                "online_payment",
            ]
        },
    ),
    (
        "时限",
        {
            "fields": [
                "statutory_limit",
                "statutory_limit_unit",
                "statutory_limit_note",
                "promised_limit",
                "promised_limit_unit",
                "promised_limit_note",
            ]
        },
    ),
    (
        "收费与结果",
        {
            "fields": [
                "fee_required",
                "fee_basis",
                "fee_items",
                "special_procedures",
                "quantity_limit",
                "result_type",
                "result_name",
                "result_sample",
                "intermediary_services",
            ]
        },
    ),
    ("咨询与监督", {"fields": ["consultation", "complaint"]}),
]


class ItemVersionForm(forms.ModelForm):
    service_objects = forms.MultipleChoiceField(
        label="服务对象", choices=ServiceObject.choices, widget=forms.CheckboxSelectMultiple, required=False
    )
    handling_forms = forms.MultipleChoiceField(
        label="办理形式", choices=HandlingForm.choices, widget=forms.CheckboxSelectMultiple, required=False
    )

    class Meta:
        model = ItemVersion
        fields = [f for _, opts in VERSION_FIELDSETS for f in opts["fields"] if f not in VERSION_READONLY]


@admin.register(ItemVersion)
class ItemVersionAdmin(admin.ModelAdmin):
    form = ItemVersionForm
    list_display = ["name", "item_code", "version", "status", "effective_from", "effective_to"]
    list_filter = ["status", "item_type"]
    search_fields = ["name", "item__implementation_code"]
    list_select_related = ["item"]
    show_full_result_count = False
    autocomplete_fields = ["legal_basis", "themes"]
    filter_horizontal = ["joint_departments"]
    readonly_fields = VERSION_READONLY
    inlines = [QuestionInline, SituationInline, MaterialInline, FormFieldInline, StepInline, TransitionInline]
    actions = ["submit_for_review", "publish", "retire", "new_draft"]
    fieldsets = VERSION_FIELDSETS

    @admin.display(description="事项")
    def item_link(self, obj: ItemVersion) -> str:
        url = reverse("admin:catalog_item_change", args=[obj.item_id])
        return format_html('<a href="{}">{}</a>', url, obj.item.implementation_code)

    @admin.display(description="实施编码", ordering="item__implementation_code")
    def item_code(self, obj: ItemVersion) -> str:
        return obj.item.implementation_code

    def get_queryset(self, request: HttpRequest) -> QuerySet[ItemVersion]:
        return _scoped(request, super().get_queryset(request), "item__department_id")

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        # Inlines limit their step and situation choices to this version's rows.
        request._catalog_version = obj  # type: ignore[attr-defined]
        return super().get_form(request, obj, change, **kwargs)

    def has_add_permission(self, request: HttpRequest) -> bool:
        # Versions come from creating an item (v1) or from the action 新建修订版本.
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is not None and obj.status != VersionStatus.DRAFT:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        if not form.instance.item.is_published:
            services.item_sync_search_fields(item=form.instance.item, version=form.instance)

    def _run(self, request: HttpRequest, queryset: QuerySet[ItemVersion], label: str, call: Any) -> None:
        done = 0
        for version in queryset.select_related("item"):
            try:
                call(version)
                done += 1
            except DomainError as exc:
                _report(request, f"{version}", exc)
        if done:
            messages.success(request, f"{label}：{done} 个版本已完成")

    @admin.action(description="提交审核")
    def submit_for_review(self, request: HttpRequest, queryset: QuerySet[ItemVersion]) -> None:
        self._run(
            request,
            queryset,
            "提交审核",
            lambda v: services.item_version_submit(version=v, user=request.user),
        )

    @admin.action(description="发布")
    def publish(self, request: HttpRequest, queryset: QuerySet[ItemVersion]) -> None:
        self._run(
            request,
            queryset,
            "发布",
            lambda v: services.item_version_publish(version=v, user=request.user, require_review=True),
        )

    @admin.action(description="废止")
    def retire(self, request: HttpRequest, queryset: QuerySet[ItemVersion]) -> None:
        self._run(
            request, queryset, "废止", lambda v: services.item_version_retire(version=v, user=request.user)
        )

    @admin.action(description="新建修订版本")
    def new_draft(self, request: HttpRequest, queryset: QuerySet[ItemVersion]) -> None:
        self._run(
            request,
            queryset,
            "新建修订版本",
            lambda v: services.item_version_new_draft(item=v.item, user=request.user),
        )

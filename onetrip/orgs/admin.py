"""Back office (Django admin, zh-hans) for regions, departments, halls and windows, users and API keys.

Forms run the same validation as the services (orgs.services), so the admin cannot store what the API would
refuse. Lists show ID and phone numbers masked; an API key's secret is shown once, in a message, on creation.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.widgets import AutocompleteSelectMultiple
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm as DjangoUserCreationForm
from django.contrib.auth.forms import UserChangeForm as DjangoUserChangeForm
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest

from onetrip.core import clock
from onetrip.core.errors import ErrorDetail
from onetrip.core.masking import mask_id_number, mask_phone
from onetrip.orgs.auth import API_SCOPES, api_key_create, api_key_revoke, scope_errors
from onetrip.orgs.models import ApiKey, Department, Region, RoleAssignment, ServiceHall, User, Window
from onetrip.orgs.services import (
    department_errors,
    hall_department_errors,
    hall_departments_set,
    region_errors,
    role_assignment_errors,
    user_errors,
    window_errors,
)


def _add_errors(form: forms.BaseForm, errors: list[ErrorDetail]) -> None:
    for error in errors:
        field = error.field if error.field in form.fields else None
        form.add_error(field, ValidationError(error.message_zh, code=error.code))


# --- regions and departments -----------------------------------------------------------------------------


class RegionForm(forms.ModelForm):
    class Meta:
        model = Region
        fields = ["code", "name", "level", "parent"]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if self.instance.pk is None and {"code", "name", "level"} <= set(data):
            _add_errors(
                self,
                region_errors(
                    code=data["code"], name=data["name"], level=int(data["level"]), parent=data.get("parent")
                ),
            )
        return data


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
    form = RegionForm
    list_display = ["code", "name", "level", "parent"]
    list_filter = ["level"]
    search_fields = ["code", "name"]
    autocomplete_fields = ["parent"]
    list_select_related = ["parent"]
    show_full_result_count = False

    def get_readonly_fields(self, request: HttpRequest, obj: Region | None = None) -> list[str]:
        # A code, level or parent change would invalidate every descendant's code; only renaming is allowed.
        return ["code", "level", "parent"] if obj is not None else []


class DepartmentForm(forms.ModelForm):
    class Meta:
        model = Department
        fields = [
            "code",
            "name",
            "short_name",
            "uscc",
            "level",
            "region",
            "parent",
            "responsibilities",
            "is_active",
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if {"code", "name", "uscc", "level", "region"} <= set(data):
            _add_errors(
                self,
                department_errors(
                    code=data["code"],
                    name=data["name"],
                    uscc=(data["uscc"] or "").upper(),
                    level=int(data["level"]),
                    region=data["region"],
                    parent=data.get("parent"),
                    instance=self.instance,
                ),
            )
        return data


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    form = DepartmentForm
    list_display = ["code", "name", "short_name", "level", "region", "parent", "is_active"]
    list_filter = ["level", "is_active"]
    search_fields = ["code", "name", "short_name", "uscc"]
    autocomplete_fields = ["region", "parent"]
    list_select_related = ["region", "parent"]
    show_full_result_count = False


# --- halls and windows -----------------------------------------------------------------------------------


class WindowForm(forms.ModelForm):
    class Meta:
        model = Window
        fields = ["hall", "number", "name", "category", "department", "is_active"]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        hall = data.get("hall") or getattr(self.instance, "hall", None)
        if (
            hall is not None
            and getattr(hall, "region_id", None)
            and {"number", "name", "category"} <= set(data)
        ):
            _add_errors(
                self,
                window_errors(
                    hall=hall,
                    number=data["number"],
                    name=data["name"],
                    category=data["category"],
                    department=data.get("department"),
                ),
            )
        return data


class WindowInline(admin.TabularInline):
    model = Window
    form = WindowForm
    extra = 0
    autocomplete_fields = ["department"]


class ServiceHallForm(forms.ModelForm):
    """The hall and its stationed departments (进驻部门); the departments are saved by
    orgs.services.hall_departments_set (validated and audited), not by the form itself."""

    stationed = forms.ModelMultipleChoiceField(
        label="进驻部门",
        queryset=Department.objects.filter(is_active=True),
        required=False,
        widget=AutocompleteSelectMultiple(ServiceHall._meta.get_field("departments"), admin.site),
        help_text="本大厅综合窗口受理这些部门（任何层级，如市级中心）的全部事项和一件事；部门即办窗口只受理本部门的。",
    )

    class Meta:
        model = ServiceHall
        fields = ["name", "region", "address", "opening_hours", "phone"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk is not None:
            self.fields["stationed"].initial = list(self.instance.departments.all())

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        region = data.get("region")
        if region is not None and data.get("stationed") is not None:
            _add_errors(
                self,
                [
                    ErrorDetail(e.code, e.message_zh, e.message_en, "stationed")
                    for e in hall_department_errors(hall_region=region, departments=list(data["stationed"]))
                ],
            )
        return data


@admin.register(ServiceHall)
class ServiceHallAdmin(admin.ModelAdmin):
    form = ServiceHallForm
    list_display = ["name", "region", "address", "opening_hours", "phone"]
    search_fields = ["name", "address"]
    autocomplete_fields = ["region"]
    list_select_related = ["region"]
    inlines = [WindowInline]

    def save_related(self, request: HttpRequest, form: forms.ModelForm, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        hall_departments_set(
            hall=form.instance,
            departments=list(form.cleaned_data.get("stationed") or []),
            actor=request.user if isinstance(request.user, User) else None,
        )


@admin.register(Window)
class WindowAdmin(admin.ModelAdmin):
    form = WindowForm
    list_display = ["number", "name", "hall", "category", "department", "is_active"]
    list_filter = ["category", "is_active"]
    search_fields = ["number", "name", "hall__name"]
    autocomplete_fields = ["hall", "department"]
    list_select_related = ["hall", "department"]


# --- users and roles -------------------------------------------------------------------------------------


class RoleAssignmentForm(forms.ModelForm):
    class Meta:
        model = RoleAssignment
        fields = ["role", "department", "region", "window"]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("role"):
            _add_errors(
                self,
                role_assignment_errors(
                    role=data["role"],
                    department=data.get("department"),
                    region=data.get("region"),
                    window=data.get("window"),
                ),
            )
        return data


class RoleAssignmentInline(admin.TabularInline):
    model = RoleAssignment
    form = RoleAssignmentForm
    extra = 0
    autocomplete_fields = ["department", "region"]
    raw_id_fields = ["window"]


class UserCreationForm(DjangoUserCreationForm):
    class Meta(DjangoUserCreationForm.Meta):
        model = User
        fields = ["username"]


class UserChangeForm(DjangoUserChangeForm):
    class Meta(DjangoUserChangeForm.Meta):
        model = User
        fields = "__all__"

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        _add_errors(
            self,
            user_errors(
                phone=data.get("phone") or "",
                id_number=(data.get("id_number") or "").upper(),
                applicant_kind=data.get("applicant_kind") or "",
                organisation_code=(data.get("organisation_code") or "").upper(),
                organisation_name=data.get("organisation_name") or "",
            ),
        )
        return data


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    form = UserChangeForm
    add_form = UserCreationForm
    inlines = [RoleAssignmentInline]
    list_display = [
        "username",
        "display_name",
        "masked_phone",
        "masked_id_number",
        "applicant_kind",
        "is_staff",
        "is_active",
    ]
    list_filter = ["applicant_kind", "is_staff", "is_active", "roles__role"]
    search_fields = ["username", "display_name", "organisation_name"]
    show_full_result_count = False
    fieldsets = [
        (None, {"fields": ["username", "password"]}),
        (
            "个人信息",
            {
                "fields": [
                    "display_name",
                    "email",
                    "phone",
                    "id_number",
                    "applicant_kind",
                    "organisation_code",
                    "organisation_name",
                    "oidc_subject",
                ]
            },
        ),
        ("后台权限", {"fields": ["is_active", "is_staff", "is_superuser", "groups", "user_permissions"]}),
        ("重要日期", {"fields": ["last_login", "date_joined"]}),
    ]
    readonly_fields = ["oidc_subject", "last_login", "date_joined"]

    @admin.display(description="手机号")
    def masked_phone(self, obj: User) -> str:
        return mask_phone(obj.phone)

    @admin.display(description="身份证号")
    def masked_id_number(self, obj: User) -> str:
        return mask_id_number(obj.id_number)


# --- API keys --------------------------------------------------------------------------------------------


class ApiKeyForm(forms.ModelForm):
    scopes = forms.MultipleChoiceField(
        label="权限范围",
        choices=[(k, f"{k}（{v}）") for k, v in API_SCOPES.items()],
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = ApiKey
        fields = ["name", "scopes", "department", "expires_at"]

    def clean_expires_at(self) -> Any:
        expires_at = self.cleaned_data.get("expires_at")
        if expires_at is not None and self.instance.pk is None and expires_at <= clock.now():
            raise ValidationError("过期时间须晚于当前时间", code="expiry_in_past")
        return expires_at

    def clean_scopes(self) -> list[str]:
        scopes = list(self.cleaned_data.get("scopes") or [])
        for error in scope_errors(scopes):
            raise ValidationError(error.message_zh, code=error.code)
        return scopes


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    form = ApiKeyForm
    list_display = [
        "name",
        "prefix",
        "scopes",
        "department",
        "created_at",
        "expires_at",
        "last_used_at",
        "is_active",
    ]
    list_filter = ["is_active"]
    search_fields = ["name", "prefix"]
    autocomplete_fields = ["department"]
    list_select_related = ["department"]
    actions = ["revoke_keys"]

    def get_fields(self, request: HttpRequest, obj: ApiKey | None = None) -> list[str]:
        if obj is None:
            return ["name", "scopes", "department", "expires_at"]
        return [
            "name",
            "prefix",
            "scopes",
            "department",
            "created_by",
            "created_at",
            "expires_at",
            "last_used_at",
            "is_active",
        ]

    def get_readonly_fields(self, request: HttpRequest, obj: ApiKey | None = None) -> list[str]:
        if obj is None:
            return []
        # The secret hash is never shown; scopes and binding are fixed: issue a new key to change them.
        return ["prefix", "scopes", "department", "created_by", "created_at", "last_used_at"]

    def save_model(self, request: HttpRequest, obj: ApiKey, form: forms.ModelForm, change: bool) -> None:
        if change:
            super().save_model(request, obj, form, change)
            return
        key, plaintext = api_key_create(
            name=form.cleaned_data["name"],
            scopes=form.cleaned_data["scopes"],
            department=form.cleaned_data.get("department"),
            created_by=request.user if isinstance(request.user, User) else None,
            expires_at=form.cleaned_data.get("expires_at"),
        )
        # Hand the stored row back to the admin (for its log entry and redirect).
        for field in ApiKey._meta.concrete_fields:
            setattr(obj, field.attname, getattr(key, field.attname))
        obj._state.adding = False
        obj._state.db = key._state.db
        messages.warning(request, f"API 密钥已创建，只显示这一次，请立即复制保存：{plaintext}")

    @admin.action(description="吊销所选 API 密钥")
    def revoke_keys(self, request: HttpRequest, queryset: QuerySet[ApiKey]) -> None:
        count = 0
        for key in queryset.filter(is_active=True):
            api_key_revoke(key=key)
            count += 1
        self.message_user(request, f"已吊销 {count} 个 API 密钥。", messages.SUCCESS)

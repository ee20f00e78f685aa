"""Admin for intake (zh-hans): read-only. Cases change only through the services (acceptance, workflow), so
every change is audited; ID numbers are shown masked."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from onetrip.core.masking import mask_id_number
from onetrip.intake.models import (
    Application,
    Case,
    CaseEvent,
    Deficiency,
    Notice,
    QueueTicket,
    Refusal,
    StoredFile,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class CaseEventInline(ReadOnlyInline):
    model = CaseEvent
    fields = ("at", "kind", "title", "actor")


class DeficiencyInline(ReadOnlyInline):
    model = Deficiency
    fields = ("material_name", "due_date", "status", "supplied_at")


class NoticeInline(ReadOnlyInline):
    model = Notice
    fields = ("submission", "issued_at", "issued_by", "problems")


@admin.register(Case)
class CaseAdmin(ReadOnlyAdmin):
    list_display = (
        "__str__",
        "title",
        "applicant_name",
        "applicant_id_masked",
        "status",
        "channel",
        "trips",
        "submitted_at",
        "accepted_at",
        "promised_due_at",
    )
    list_filter = ("status", "channel", "deemed_accepted", "result_held")
    search_fields = ("number", "title")
    list_select_related = ("applicant",)
    date_hierarchy = "submitted_at"
    show_full_result_count = False  # no COUNT(*) over millions of cases
    exclude = ("idempotency_key",)
    inlines = [DeficiencyInline, NoticeInline, CaseEventInline]

    @admin.display(description="申请人证件号")
    def applicant_id_masked(self, obj: Case) -> str:
        return mask_id_number(obj.applicant.id_number)


@admin.register(Application)
class ApplicationAdmin(ReadOnlyAdmin):
    list_display = ("__str__", "applicant", "applicant_id_masked", "channel", "status", "updated_at")
    list_filter = ("status", "channel")
    list_select_related = ("applicant",)
    show_full_result_count = False
    exclude = ("form_data", "proxy_authorisation")  # personal data stays in the services' views

    @admin.display(description="申请人证件号")
    def applicant_id_masked(self, obj: Application) -> str:
        return mask_id_number(obj.applicant.id_number)


@admin.register(Refusal)
class RefusalAdmin(ReadOnlyAdmin):
    list_display = ("case", "issued_at", "issued_by")
    list_select_related = ("case", "issued_by")


@admin.register(QueueTicket)
class QueueTicketAdmin(ReadOnlyAdmin):
    list_display = ("number", "hall", "category", "day", "status", "taken_at", "called_at", "window")
    list_filter = ("status", "category", "day")
    list_select_related = ("hall", "window")
    exclude = ("holder",)


@admin.register(StoredFile)
class StoredFileAdmin(ReadOnlyAdmin):
    list_display = ("__str__", "content_type", "size", "created_at")

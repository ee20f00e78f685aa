"""Data sharing in the Django admin: the source registry (with elements and entitlements inline), exchange
requests, licence types and licences; the access log and daily counts are read-only."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from onetrip.sharing.models import (
    AccessDailyCount,
    AccessLogEntry,
    DataSource,
    ExchangeRequest,
    Licence,
    LicenceType,
    SourceElement,
    SourceEntitlement,
)


class SourceElementInline(admin.TabularInline):
    model = SourceElement
    extra = 0
    autocomplete_fields = ["element"]


class SourceEntitlementInline(admin.TabularInline):
    model = SourceEntitlement
    extra = 0


@admin.register(DataSource)
class DataSourceAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "department", "kind", "sensitivity", "is_active"]
    list_filter = ["kind", "sensitivity", "is_active"]
    search_fields = ["code", "name"]
    inlines = [SourceElementInline, SourceEntitlementInline]


@admin.register(ExchangeRequest)
class ExchangeRequestAdmin(admin.ModelAdmin):
    list_display = ["id", "source", "requester", "status", "created_at", "decided_at"]
    list_filter = ["status", "source"]
    readonly_fields = ["status", "decided_by", "decided_at", "created_at"]


@admin.register(LicenceType)
class LicenceTypeAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "issuer", "satisfies", "holder_kind"]
    search_fields = ["code", "name", "satisfies"]


@admin.register(Licence)
class LicenceAdmin(admin.ModelAdmin):
    list_display = ["number", "licence_type", "holder_name", "issuer", "valid_from", "valid_to", "status"]
    list_filter = ["licence_type", "status"]
    search_fields = ["=number", "=holder"]  # exact matches only: no substring scans of ID numbers
    readonly_fields = ["status", "revoked_at", "revoke_reason", "issued_at"]


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(AccessLogEntry)
class AccessLogEntryAdmin(ReadOnlyAdmin):
    list_display = ["id", "at", "actor_label", "source", "purpose", "case", "outcome"]
    list_filter = ["purpose", "outcome", "source"]
    show_full_result_count = False


@admin.register(AccessDailyCount)
class AccessDailyCountAdmin(ReadOnlyAdmin):
    list_display = ["day", "source", "calls", "elements", "failures"]
    list_filter = ["source"]
    date_hierarchy = "day"

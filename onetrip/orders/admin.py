"""督办 and 代表结对监督 in the admin, read-only: they change only through the services (audited, notified)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from onetrip.orders.models import DeputyPairing, DeputySuggestion, SupervisionOrder


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(SupervisionOrder)
class SupervisionOrderAdmin(ReadOnly):
    list_display = ["id", "title", "target", "department", "due_date", "status", "overdue", "issued_at"]
    list_filter = ["status", "target", "overdue"]
    search_fields = ["title"]
    raw_id_fields = ["case", "item", "department", "issued_by", "responded_by", "closed_by"]


@admin.register(DeputyPairing)
class DeputyPairingAdmin(ReadOnly):
    list_display = ["id", "deputy", "item", "is_active", "paired_at", "ended_at"]
    list_filter = ["is_active"]
    raw_id_fields = ["deputy", "item", "paired_by", "ended_by"]


@admin.register(DeputySuggestion)
class DeputySuggestionAdmin(ReadOnly):
    list_display = ["id", "deputy", "item", "department", "activity", "status", "plan_due_at", "plan_overdue"]
    list_filter = ["status", "activity", "plan_overdue"]
    raw_id_fields = ["pairing", "deputy", "item", "department", "planned_by", "closed_by"]

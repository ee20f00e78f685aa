"""Read-only admin for the flow records: the state changes only through the services (version checks)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from onetrip.flow.models import (
    CaseResult,
    Delivery,
    FlowEvent,
    ProcessDefinitionRecord,
    ProcessInstanceRecord,
    TaskRecord,
)


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(ProcessDefinitionRecord)
class DefinitionAdmin(ReadOnly):
    list_display = ["key", "version", "name", "created_at"]
    search_fields = ["key", "name"]


@admin.register(ProcessInstanceRecord)
class InstanceAdmin(ReadOnly):
    list_display = ["case", "definition", "status", "version", "wake_at", "updated_at"]
    list_filter = ["status"]
    raw_id_fields = ["case"]


@admin.register(TaskRecord)
class TaskAdmin(ReadOnly):
    list_display = ["case", "step_name", "department", "assignee", "status", "due_at", "deemed"]
    list_filter = ["status", "kind", "deemed"]
    raw_id_fields = ["case", "instance"]


@admin.register(FlowEvent)
class EventAdmin(ReadOnly):
    list_display = ["case", "at", "kind", "actor", "task_id"]
    list_filter = ["kind"]
    raw_id_fields = ["case"]


@admin.register(CaseResult)
class ResultAdmin(ReadOnly):
    list_display = ["case", "item", "kind", "document_number", "issued_at"]
    list_filter = ["kind"]
    raw_id_fields = ["case"]


@admin.register(Delivery)
class DeliveryAdmin(ReadOnly):
    list_display = ["case", "method", "status", "created_at", "confirmed_at"]
    list_filter = ["method", "status"]
    raw_id_fields = ["case"]

"""Admin: alert rules go through the services (validation, recomputing open tasks, audit); watch states and
overdue records are read-only (only the sweep writes them)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.http import HttpRequest

from onetrip.core import clock
from onetrip.core.errors import DomainError
from onetrip.supervision import services
from onetrip.supervision.models import AlertRule, OverdueRecord, TaskWatch


def _input(data: dict[str, Any]) -> services.RuleInput:
    return services.RuleInput(
        warn_after_days=data.get("warn_after_days"),  # type: ignore[arg-type]
        overdue_after_days=data.get("overdue_after_days"),  # type: ignore[arg-type]
        remind_from_days=data.get("remind_from_days"),
        reminder_times=data.get("reminder_times") or "",
        remind_leader=bool(data.get("remind_leader")),
        accountability_threshold=data.get("accountability_threshold"),
        note=data.get("note") or "",
    )


class AlertRuleForm(forms.ModelForm):
    class Meta:
        model = AlertRule
        fields = [
            "item",
            "warn_after_days",
            "overdue_after_days",
            "remind_from_days",
            "reminder_times",
            "remind_leader",
            "accountability_threshold",
            "note",
        ]

    request_user: Any = None

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        item = data.get("item") if self.instance.pk is None else self.instance.item
        if not services.can_manage_rules(self.request_user, item):
            raise ValidationError("无权维护该预警规则")
        try:
            services.check_rule(_input(data), is_global=item is None)
        except DomainError as exc:
            raise ValidationError([e.message_zh for e in exc.errors]) from None
        return data


@admin.register(AlertRule)
class AlertRuleAdmin(admin.ModelAdmin):
    form = AlertRuleForm
    list_display = [
        "__str__",
        "remind_from_days",
        "reminder_times",
        "remind_leader",
        "accountability_threshold",
    ]
    search_fields = ["item__name", "item__implementation_code"]
    raw_id_fields = ["item"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return ["item"] if obj is not None else []

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        form = super().get_form(request, obj, change=change, **kwargs)
        form.request_user = request.user
        return form

    def save_model(self, request: HttpRequest, obj: AlertRule, form: Any, change: bool) -> None:
        data = _input(form.cleaned_data)
        if change:
            saved = services.alert_rule_update(actor=request.user, rule=obj, data=data, now=clock.now())  # type: ignore[arg-type]
        else:
            saved = services.alert_rule_create(
                actor=request.user,  # type: ignore[arg-type]
                item=form.cleaned_data.get("item"),
                data=data,
                now=clock.now(),
            )
        obj.pk = saved.pk

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return obj is None or obj.item_id is not None

    def delete_model(self, request: HttpRequest, obj: AlertRule) -> None:
        services.alert_rule_delete(actor=request.user, rule=obj, now=clock.now())  # type: ignore[arg-type]

    def delete_queryset(self, request: HttpRequest, queryset: Any) -> None:
        for rule in queryset:
            self.delete_model(request, rule)


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(TaskWatch)
class TaskWatchAdmin(ReadOnly):
    list_display = ["task", "alert", "warn_at", "overdue_at", "watch_at", "reminders"]
    list_filter = ["alert"]
    raw_id_fields = ["task", "rule"]


@admin.register(OverdueRecord)
class OverdueRecordAdmin(ReadOnly):
    list_display = ["case", "task", "department", "person", "overdue_at"]
    list_filter = ["department"]
    date_hierarchy = "overdue_at"
    raw_id_fields = ["task", "case", "person", "rule"]

"""Notifications in the Django admin: department robots (configured here), delivery status with a "send
again" action for dead dispatches, and the messages themselves (read-only). Addresses and robot tokens are
masked in the lists."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from onetrip.core.masking import mask_phone
from onetrip.notify.models import DepartmentRobot, Dispatch, DispatchChannel, Notification
from onetrip.notify.services import dispatch_retry

_TOKEN_RE = re.compile(r"((?:access_token|token|key)=)[^&]+", re.IGNORECASE)


def _mask_address(channel: str, address: str) -> str:
    if channel == DispatchChannel.SMS:
        return mask_phone(address)
    if channel == DispatchChannel.EMAIL and "@" in address:
        name, _, domain = address.partition("@")
        return f"{name[:1]}***@{domain}"
    return address


class RobotForm(forms.ModelForm):
    url = forms.URLField(
        label="机器人地址", max_length=500, assume_scheme="https", help_text="含 access_token 的 Webhook 地址"
    )
    secret = forms.CharField(
        label="加签密钥",
        required=False,
        widget=forms.PasswordInput(render_value=False),
        help_text="留空则保留原密钥；填写后替换。",
    )
    clear_secret = forms.BooleanField(label="清除加签密钥", required=False)

    class Meta:
        model = DepartmentRobot
        fields = ["department", "name", "url", "secret", "is_active"]

    def clean_secret(self) -> str:
        value = self.cleaned_data.get("secret") or ""
        if not value and self.instance.pk and not self.data.get("clear_secret"):
            return self.instance.secret
        return value


@admin.register(DepartmentRobot)
class DepartmentRobotAdmin(admin.ModelAdmin):
    form = RobotForm
    list_display = ["department", "name", "masked_url", "signed", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["department__name", "name"]
    autocomplete_fields = ["department"]

    @admin.display(description="机器人地址")
    def masked_url(self, obj: DepartmentRobot) -> str:
        return _TOKEN_RE.sub(r"\1***", obj.url)

    @admin.display(description="加签", boolean=True)
    def signed(self, obj: DepartmentRobot) -> bool:
        return bool(obj.secret)


@admin.register(Dispatch)
class DispatchAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "title",
        "channel",
        "masked_address",
        "status",
        "attempts",
        "next_attempt_at",
        "sent_at",
    ]
    list_filter = ["status", "channel"]
    list_select_related = ["notification"]
    ordering = ["-id"]
    search_fields = ["=notification__dedup_key"]
    show_full_result_count = False
    fields = [
        "notification",
        "channel",
        "masked_address",
        "robot",
        "status",
        "attempts",
        "next_attempt_at",
        "last_error",
        "created_at",
        "sent_at",
    ]
    readonly_fields = fields
    actions = ["send_again"]

    @admin.display(description="消息")
    def title(self, obj: Dispatch) -> str:
        return obj.notification.title

    @admin.display(description="地址")
    def masked_address(self, obj: Dispatch) -> str:
        return _mask_address(obj.channel, obj.address)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_retry_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("notify.change_dispatch")

    @admin.action(description="重新发送所选投递（失败的从第 1 次重试）", permissions=["retry"])
    def send_again(self, request: HttpRequest, queryset: QuerySet[Dispatch]) -> None:
        count = dispatch_retry(dispatch_ids=list(queryset.values_list("pk", flat=True)), actor=request.user)  # type: ignore[arg-type]
        self.message_user(request, f"已重新排入发送队列：{count} 条。", messages.SUCCESS)


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["id", "recipient", "kind", "title", "created_at", "read_at"]
    list_filter = ["kind"]
    search_fields = ["=dedup_key"]
    raw_id_fields = ["recipient"]
    show_full_result_count = False
    readonly_fields = [
        "recipient",
        "kind",
        "title",
        "body",
        "link",
        "dedup_key",
        "data",
        "created_at",
        "read_at",
    ]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

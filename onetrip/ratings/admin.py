"""好差评 in the admin: ratings, rectifications and appeals are read-only (they change through the services,
audited); system administrators edit a region's limits here, validated like the service and saved through
`rating_policy_set` (audited)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest

from onetrip.orgs.models import Role
from onetrip.orgs.permissions import has_role
from onetrip.ratings.models import Rating, RatingAppeal, RatingPolicy, Rectification
from onetrip.ratings.selectors import policy_check
from onetrip.ratings.services import rating_policy_set


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Rating)
class RatingAdmin(ReadOnly):
    list_display = ["id", "level", "kind", "status", "department", "case", "ticket", "created_at"]
    list_filter = ["level", "kind", "status"]
    raw_id_fields = ["case", "ticket", "rater", "department", "previous"]
    show_full_result_count = False


@admin.register(Rectification)
class RectificationAdmin(ReadOnly):
    list_display = [
        "id",
        "department",
        "status",
        "callback_due_at",
        "rectify_due_at",
        "callback_overdue",
        "rectify_overdue",
    ]
    list_filter = ["status", "callback_overdue", "rectify_overdue"]
    raw_id_fields = ["rating", "department", "called_back_by", "closed_by"]
    show_full_result_count = False


@admin.register(RatingAppeal)
class RatingAppealAdmin(ReadOnly):
    list_display = ["id", "department", "reason", "status", "filed_at", "decided_at"]
    list_filter = ["status", "reason"]
    raw_id_fields = ["rating", "department", "filed_by", "decided_by"]


class RatingPolicyForm(forms.ModelForm):
    class Meta:
        model = RatingPolicy
        fields = ["region", "callback_days", "rectify_days", "service_centre"]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if self.errors:
            return data
        for e in policy_check(
            region=data["region"],
            callback_days=data["callback_days"],
            rectify_days=data["rectify_days"],
            service_centre=data.get("service_centre"),
        ):
            self.add_error("service_centre" if e.field == "service_centre_id" else e.field, e.message_zh)
        return data


@admin.register(RatingPolicy)
class RatingPolicyAdmin(admin.ModelAdmin):
    form = RatingPolicyForm
    list_display = ["region", "callback_days", "rectify_days", "service_centre", "updated_at"]
    raw_id_fields = ["region", "service_centre"]

    def _admin(self, request: HttpRequest) -> bool:
        return has_role(request.user, Role.SYSTEM_ADMIN)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return self._admin(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._admin(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._admin(request)

    def save_model(self, request: HttpRequest, obj: RatingPolicy, form: Any, change: bool) -> None:
        saved = rating_policy_set(
            region=obj.region,
            callback_days=obj.callback_days,
            rectify_days=obj.rectify_days,
            service_centre=obj.service_centre,
            actor=request.user,  # type: ignore[arg-type]
        )
        obj.pk = saved.pk

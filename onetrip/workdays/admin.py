"""Admin: calendar years (with an upload form for a new year's arrangement) and their special days."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse

from onetrip.core import clock
from onetrip.core.errors import DomainError
from onetrip.workdays.core import SHANGHAI
from onetrip.workdays.models import CalendarYear, SpecialDay
from onetrip.workdays.selectors import missing_calendar_years
from onetrip.workdays.services import calendar_year_load

MAX_FILE_BYTES = 64 * 1024


class ArrangementUploadForm(forms.Form):
    file = forms.FileField(
        label="安排文件（TOML）", help_text="一年的国务院节假日安排：放假日期、调休上班日、通知文号"
    )
    replace = forms.BooleanField(label="替换已载入的同一年份", required=False)


class SpecialDayInline(admin.TabularInline):
    model = SpecialDay
    fields = ("date", "kind", "name")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(CalendarYear)
class CalendarYearAdmin(admin.ModelAdmin):
    list_display = ("year", "source", "notice", "loaded_at", "day_count")
    list_filter = ("source",)
    readonly_fields = ("year", "source", "notice", "loaded_at")
    inlines = [SpecialDayInline]
    change_list_template = "admin/workdays/calendaryear/change_list.html"

    def get_queryset(self, request: HttpRequest) -> QuerySet[CalendarYear]:
        return super().get_queryset(request).annotate(n_days=Count("special_days"))

    @admin.display(description="放假及调休天数", ordering="n_days")
    def day_count(self, obj: Any) -> int:
        return int(obj.n_days)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # years come from the package or an uploaded file, never typed in by hand

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_urls(self) -> list[URLPattern]:
        upload = path(
            "upload/", self.admin_site.admin_view(self.upload_view), name="workdays_calendaryear_upload"
        )
        return [upload, *super().get_urls()]

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        today = clock.now().astimezone(SHANGHAI).date()
        for year in missing_calendar_years(today):
            messages.warning(
                request,
                f"{year}年节假日安排尚未载入：涉及该年的期限仅按周末计算（临时结果）。"
                "请在国务院办公厅通知发布后上传安排文件。",
            )
        context = {**(extra_context or {}), "can_upload": self._can_upload(request)}
        return super().changelist_view(request, context)

    def _can_upload(self, request: HttpRequest) -> bool:
        return request.user.has_perm("workdays.add_calendaryear")

    def upload_view(self, request: HttpRequest) -> HttpResponse:
        if not self._can_upload(request):
            raise PermissionDenied
        form = ArrangementUploadForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            if upload.size > MAX_FILE_BYTES:
                form.add_error("file", "文件过大（上限 64 KB）")
            else:
                try:
                    year = calendar_year_load(content=upload.read(), replace=form.cleaned_data["replace"])
                except DomainError as exc:
                    for error in exc.errors:
                        where = f"{error.field}：" if error.field and error.field != "file" else ""
                        form.add_error("file", f"{where}{error.message_zh}")
                else:
                    self.message_user(request, f"已载入 {year.year}年日历（{year.notice}）", messages.SUCCESS)
                    return HttpResponseRedirect(reverse("admin:workdays_calendaryear_changelist"))
        context = {
            **self.admin_site.each_context(request),
            "title": "上传年度节假日安排",
            "form": form,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/workdays/calendaryear/upload.html", context)


@admin.register(SpecialDay)
class SpecialDayAdmin(admin.ModelAdmin):
    list_display = ("date", "kind", "name", "calendar_year")
    list_filter = ("kind", "calendar_year__year")
    search_fields = ("name",)
    date_hierarchy = "date"
    list_select_related = ("calendar_year",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # a year is replaced as a whole, never edited day by day

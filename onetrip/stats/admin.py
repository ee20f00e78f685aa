from django.contrib import admin

from onetrip.stats.models import StatDay, StatDelta, StatDepartmentMonth, StatItemMonth


@admin.register(StatDelta)
class StatDeltaAdmin(admin.ModelAdmin):
    list_display = ["id", "kind", "case_id", "at"]
    list_filter = ["kind"]
    readonly_fields = ["case_id", "kind", "at", "data"]

    def has_add_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


class _RollupAdmin(admin.ModelAdmin):
    list_display = ["region_id", "department_id", "accepted", "completed", "on_time", "overdue"]

    def has_add_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(StatItemMonth)
class StatMonthAdmin(_RollupAdmin):
    list_display = ["month", "item_id", "bundle_id", *_RollupAdmin.list_display]
    date_hierarchy = "month"


@admin.register(StatDepartmentMonth)
class StatDepartmentMonthAdmin(_RollupAdmin):
    list_display = ["month", *_RollupAdmin.list_display]
    date_hierarchy = "month"


@admin.register(StatDay)
class StatDayAdmin(_RollupAdmin):
    list_display = ["day", *_RollupAdmin.list_display]
    date_hierarchy = "day"

from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from onetrip.api import api

admin.site.site_header = "OneTrip 最多跑一次 管理后台"
admin.site.site_title = "OneTrip 管理后台"
admin.site.index_title = "系统与事项管理"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("things/", include("onetrip.bundles.urls")),
    path("work/", include("onetrip.flow.urls")),
    path(
        "sharing/", include("onetrip.sharing.urls")
    ),  # 谁查看了我的数据, 目录树  # department inbox (部门审批)
    path("", include("onetrip.intake.urls")),  # apply/… (applicants) and window/… (clerks)
    path("", include("onetrip.portal.urls")),
]
if settings.OIDC_ENABLED:
    urlpatterns.insert(0, path("oidc/", include("mozilla_django_oidc.urls")))

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
    path("", include("onetrip.portal.urls")),
]
if settings.OIDC_ENABLED:
    urlpatterns.insert(0, path("oidc/", include("mozilla_django_oidc.urls")))

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
    path("notices/", include("onetrip.notify.urls")),  # 站内消息 and notification settings
    path("supervision/", include("onetrip.supervision.urls")),  # 预警、超期、问责
    path("orders/", include("onetrip.orders.urls")),  # 督办, 代表结对监督
    path("ratings/", include("onetrip.ratings.urls")),  # 好差评, 整改, 申诉
    path("stats/", include("onetrip.stats.urls")),  # 统计分析与驾驶舱
    path("sharing/", include("onetrip.sharing.urls")),  # 谁查看了我的数据, 目录树
    path("", include("onetrip.intake.urls")),  # apply/… (applicants) and window/… (clerks)
    path("", include("onetrip.portal.urls")),
]
if settings.OIDC_ENABLED:
    urlpatterns.insert(0, path("oidc/", include("mozilla_django_oidc.urls")))

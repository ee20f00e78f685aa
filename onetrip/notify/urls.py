from django.urls import path

from onetrip.notify import views

app_name = "notify"

urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("badge/", views.badge, name="badge"),
    path("read-all/", views.mark_all_read, name="mark_all_read"),
    path("settings/", views.preferences, name="settings"),
    path("<int:notification_id>/go/", views.go, name="go"),
    path("<int:notification_id>/read/", views.mark_read, name="mark_read"),
]

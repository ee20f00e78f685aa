from django.urls import path

from onetrip.bundles import views

app_name = "bundles"
urlpatterns = [
    path("", views.bundle_index, name="index"),
    path("<slug:code>/", views.bundle_detail, name="detail"),
]

from django.urls import path

from onetrip.stats import views

app_name = "stats"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("cases/", views.cases, name="cases"),
    path("export.xlsx", views.export, name="export"),
]

"""好差评 pages. Applicants: /ratings/case/<case number>/ and /ratings/visit/<ticket id>/ (neither carries
personal data); departments and supervisors: ratings, rectifications and appeals of their scope."""

from django.urls import path

from onetrip.ratings import views

app_name = "ratings"
urlpatterns = [
    path("", views.home, name="home"),
    path("case/<str:number>/", views.rate_case, name="rate_case"),
    path("visit/<int:ticket_id>/", views.rate_visit, name="rate_visit"),
    path("list/", views.rating_list, name="list"),
    path("<int:pk>/", views.rating_detail, name="rating"),
    path("<int:pk>/appeal/", views.rating_appeal_view, name="appeal_file"),
    path("rectifications/", views.rectification_list, name="rectifications"),
    path("rectifications/<int:pk>/", views.rectification_detail, name="rectification"),
    path("rectifications/<int:pk>/<slug:action>/", views.rectification_action, name="rectification_action"),
    path("appeals/", views.appeal_list, name="appeals"),
    path("appeals/<int:pk>/", views.appeal_detail, name="appeal"),
]

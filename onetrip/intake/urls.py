"""Pages of applying (apply/…: the applicant's own, or a window clerk's for the applicant) and of the window
workstation (window/…: clerks). No URL carries personal data: applicants are found by ID number in a POST."""

from django.urls import path

from onetrip.intake import views, views_deficiency

app_name = "intake"
urlpatterns = [
    path("apply/", views.my, name="my"),
    path("apply/item/<str:code>/", views.apply_item, name="apply_item"),
    path("apply/thing/<slug:code>/", views.apply_bundle, name="apply_bundle"),
    path("apply/<int:pk>/", views.application, name="application"),
    path("apply/<int:pk>/field/", views.application_field, name="application_field"),
    path("apply/<int:pk>/answers/", views.application_answers, name="application_answers"),
    path(
        "apply/<int:pk>/relatives/<slug:subject>/", views.application_relatives, name="application_relatives"
    ),
    path(
        "apply/<int:pk>/relatives/<slug:subject>/fill/",
        views.application_relative_fill_view,
        name="application_relative_fill",
    ),
    path("apply/<int:pk>/members/", views.application_members, name="application_members"),
    path("apply/<int:pk>/upload/", views.application_upload, name="application_upload"),
    path("apply/<int:pk>/material/", views.application_material, name="application_material"),
    path("apply/<int:pk>/files/<str:key>/", views.application_file, name="application_file"),
    path("apply/<int:pk>/precheck/", views.application_precheck_view, name="application_precheck"),
    path("apply/<int:pk>/submit/", views.application_submit_view, name="application_submit"),
    path("apply/cases/<int:pk>/", views.case_detail, name="case"),
    path(
        "apply/cases/<int:pk>/deficiencies/<int:deficiency_id>/supply/",
        views_deficiency.case_deficiency_supply,
        name="case_deficiency_supply",
    ),
    path(
        "apply/cases/<int:pk>/deficiencies/<int:deficiency_id>/file/",
        views_deficiency.case_deficiency_file,
        name="case_deficiency_file",
    ),
    path("apply/cases/<int:pk>/termination.pdf", views_deficiency.case_termination, name="case_termination"),
    path("apply/cases/<int:pk>/<str:kind>.pdf", views.case_document, name="case_document"),
    path("window/", views.window, name="window"),
    path("window/queue/", views.window_queue, name="window_queue"),
    path("window/queue/<slug:action>/", views.window_queue, name="window_queue_action"),
    path("window/lookup/", views.window_lookup, name="window_lookup"),
    path("window/start/", views.window_start, name="window_start"),
    path("window/applications/<int:pk>/", views.window_application, name="window_application"),
    path("window/cases/<int:pk>/", views.window_case, name="window_case"),
    path(
        "window/cases/<int:pk>/deficiencies/<int:deficiency_id>/file/",
        views_deficiency.window_deficiency_file,
        name="window_deficiency_file",
    ),
    path(
        "window/cases/<int:pk>/deficiencies/<int:deficiency_id>/<slug:action>/",
        views_deficiency.window_deficiency,
        name="window_deficiency",
    ),
    path(
        "window/cases/<int:pk>/termination.pdf",
        views_deficiency.window_termination,
        name="window_termination",
    ),
    path("window/cases/<int:pk>/<slug:decision>/", views.window_case_decide, name="window_case_decide"),
    path("window/cases/<int:pk>/<str:kind>.pdf", views.window_case_document, name="window_case_document"),
]

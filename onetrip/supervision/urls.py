from django.urls import path

from onetrip.supervision import views

app_name = "supervision"

urlpatterns = [
    path("", views.board, name="board"),
    path("accountability/", views.accountability, name="accountability"),
    path("accountability/overdue/", views.overdue_list, name="overdue_list"),
    path("rules/", views.rules, name="rules"),
    path("rules/<int:rule_id>/", views.rule_edit, name="rule_edit"),
    path("rules/<int:rule_id>/delete/", views.rule_delete, name="rule_delete"),
]

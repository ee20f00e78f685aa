from django.urls import path

from onetrip.flow import views

app_name = "flow"

urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("batch/", views.batch_approve, name="batch_approve"),
    path("tasks/<int:task_id>/", views.task_page, name="task"),
    path("results/<int:result_id>.pdf", views.result_download, name="result_pdf"),
    path("tasks/<int:task_id>/<slug:operation>/", views.task_operation, name="task_operation"),
]

"""督办 and 代表结对监督 pages."""

from django.urls import path

from onetrip.orders import views

app_name = "orders"
urlpatterns = [
    path("", views.order_list, name="list"),
    path("new/", views.order_new, name="new"),
    path("<int:pk>/", views.order_detail, name="order"),
    path("<int:pk>/<slug:action>/", views.order_action, name="order_action"),
    path("deputy/", views.deputy_home, name="deputy"),
    path("suggestions/", views.suggestion_list, name="suggestions"),
    path("suggestions/<int:pk>/", views.suggestion_detail, name="suggestion"),
    path("suggestions/<int:pk>/<slug:action>/", views.suggestion_action, name="suggestion_action"),
    path("pairings/", views.pairing_list, name="pairings"),
    path("pairings/<int:pk>/end/", views.pairing_end_view, name="pairing_end"),
]

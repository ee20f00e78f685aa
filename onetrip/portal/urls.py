from django.contrib.auth import views as auth_views
from django.urls import path

from onetrip.portal import views

app_name = "portal"
urlpatterns = [
    path("", views.home, name="home"),
    path("search/", views.search, name="search"),
    path("items/<str:code>/", views.item_guide, name="item_guide"),
    path("items/<str:code>/guide.pdf", views.item_guide_pdf, name="item_guide_pdf"),
    path("staff/", views.staff_home, name="staff_home"),
    path(
        "login/",
        auth_views.LoginView.as_view(template_name="portal/login.html", redirect_authenticated_user=True),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
]

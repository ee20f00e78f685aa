from django.urls import path

from onetrip.sharing import views

app_name = "sharing"
urlpatterns = [
    path("my-data/", views.my_access_log, name="my_access_log"),
    path("catalogue/", views.catalogue_tree, name="catalogue"),
    path("catalogue.xlsx", views.catalogue_tree_xlsx, name="catalogue_xlsx"),
]

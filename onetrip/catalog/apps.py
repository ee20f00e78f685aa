from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "onetrip.catalog"
    label = "catalog"
    verbose_name = "事项库"

from django.apps import AppConfig


class SupervisionConfig(AppConfig):
    name = "onetrip.supervision"
    label = "supervision"
    verbose_name = "效能监管"

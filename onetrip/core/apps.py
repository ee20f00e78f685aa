from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "onetrip.core"
    label = "core"
    verbose_name = "核心"

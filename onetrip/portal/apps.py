from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "onetrip.portal"
    label = "portal"
    verbose_name = "门户"

from django.apps import AppConfig


class IntakeConfig(AppConfig):
    name = "onetrip.intake"
    label = "intake"
    verbose_name = "申请与受理"

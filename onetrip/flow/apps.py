from django.apps import AppConfig


class FlowConfig(AppConfig):
    name = "onetrip.flow"
    label = "flow"
    verbose_name = "审批流程与出件"

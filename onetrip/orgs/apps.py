from django.apps import AppConfig


class OrgsConfig(AppConfig):
    name = "onetrip.orgs"
    label = "orgs"
    verbose_name = "组织与身份"

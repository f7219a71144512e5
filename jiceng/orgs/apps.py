from django.apps import AppConfig


class OrgsConfig(AppConfig):
    name = "jiceng.orgs"
    verbose_name = "组织与党员"

from django.apps import AppConfig


class NeedsConfig(AppConfig):
    name = "jiceng.needs"
    verbose_name = "双报到与群众需求"

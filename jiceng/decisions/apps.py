from django.apps import AppConfig


class DecisionsConfig(AppConfig):
    name = "jiceng.decisions"
    verbose_name = "四议两公开"

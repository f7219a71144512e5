from django.apps import AppConfig


class RulesConfig(AppConfig):
    name = "jiceng.rules"
    verbose_name = "法规规则"

from django.apps import AppConfig


class DashboardConfig(AppConfig):
    name = "jiceng.dashboard"
    verbose_name = "指标看板"

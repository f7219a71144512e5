from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "jiceng.web"
    verbose_name = "工作台"

from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "jiceng.portal"
    verbose_name = "公众门户"

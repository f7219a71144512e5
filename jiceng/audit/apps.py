from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "jiceng.audit"
    verbose_name = "审计账本"

from django.apps import AppConfig


class BenchConfig(AppConfig):
    name = "jiceng.bench"
    verbose_name = "规模数据与基准测试"

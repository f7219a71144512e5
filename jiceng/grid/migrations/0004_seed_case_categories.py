"""Default case categories and their time limits (domain.md §6.3). No national limits exist: these
follow 凤县 (same day; 2-3 days; key or difficult 7 days) and the 24-hour urgent grade, and every
figure stays editable per category."""

from django.db import migrations

# hours: accept, dispatch, respond (签收), handle, verify, close, total
ON_SPOT = (2, 2, 2, 8, 4, 4, 24)
GENERAL = (8, 8, 8, 48, 24, 24, 72)
KEY = (24, 24, 24, 120, 24, 24, 168)
URGENT = (1, 1, 1, 12, 4, 4, 24)

CATEGORIES = (
    ("dispute", "矛盾纠纷", "key", KEY),
    ("safety", "安全隐患", "urgent", URGENT),
    ("public_order", "治安问题", "urgent", URGENT),
    ("sanitation", "环境卫生", "general", GENERAL),
    ("facilities", "市政设施", "general", GENERAL),
    ("illegal_building", "违法建设", "key", KEY),
    ("livelihood", "民生服务", "general", GENERAL),
    ("on_spot", "现场可办结事项", "on_spot", ON_SPOT),
    ("other", "其他", "general", GENERAL),
)
FIELDS = ("accept_hours", "dispatch_hours", "respond_hours", "handle_hours", "verify_hours", "close_hours", "total_hours")


def seed(apps, schema_editor):  # type: ignore[no-untyped-def]
    CaseCategory = apps.get_model("grid", "CaseCategory")
    for sort, (code, name, sla_class, hours) in enumerate(CATEGORIES, start=1):
        CaseCategory.objects.get_or_create(code=code, defaults={"name": name, "sla_class": sla_class, "sort": sort, **dict(zip(FIELDS, hours))})


def unseed(apps, schema_editor):  # type: ignore[no-untyped-def]
    apps.get_model("grid", "CaseCategory").objects.filter(code__in=[c[0] for c in CATEGORIES], cases__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("grid", "0003_cases_members_forces")]
    operations = [migrations.RunPython(seed, unseed)]

"""The default point rules (domain.md §7.2: no national standard, so every value is local practice [U]
unless a source is named). A district changes them by adding its own rule of the same code."""

from decimal import Decimal

from django.db import migrations

RULES = [
    # code, name, points, per, counts as service, basis, confidence
    ("service_hour", "服务时长", "1", "hour", True, "每核实服务 1 小时计 1 分（各地通行做法；邢台桥西以年服务 50 小时为合格）", "U"),
    ("need_done", "完成群众点单", "2", "item", True, "完成社区下单的群众需求并经群众确认，按需求标注的积分计分（未标注时每单 2 分）", "U"),
    ("wish_done", "完成微心愿", "3", "item", True, "认领并完成微心愿（湖北工具包：完成者获积分，可在社区兑换）", "U"),
    ("report", "按时报到", "2", "item", False, "在职党员向居住地社区党组织报到（佛山 2020：每半年报到一次）", "S"),
    ("report_late", "未按时报到", "0", "item", False, "报到逾期后补报不计分；未报到者不得评为“合格”及以上（佛山 2020，民主评议）", "S"),
    ("micro_project", "参与民生微实事", "2", "item", True, "参与民生微实事项目实施（坪山模式）", "U"),
]


def seed(apps, schema_editor):
    PointRule = apps.get_model("needs", "PointRule")
    for code, name, points, per, service, basis, confidence in RULES:
        PointRule.objects.get_or_create(
            code=code,
            district=None,
            defaults={
                "name": name,
                "points": Decimal(points),
                "per": per,
                "counts_as_service": service,
                "basis": basis,
                "confidence": confidence,
            },
        )


def unseed(apps, schema_editor):
    apps.get_model("needs", "PointRule").objects.filter(district=None, code__in=[r[0] for r in RULES], entries__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("needs", "0002_service_reporting_points_projects")]

    operations = [migrations.RunPython(seed, unseed)]

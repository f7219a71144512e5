"""The thresholds in force, with their sources (domain.md §1.2, §1.4, §1.5, §2.1, §3.3)."""

from datetime import date

from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps

LAW = "《中华人民共和国村民委员会组织法》"
GTE, GT = "gte", "gt"

# (body, check, alternative, numerator, denominator, comparison, base, article, text)
VILLAGE_LAW_2018 = [
    ("villagers_assembly", "quorum", "q", 1, 2, GT, "entitled", "第二十二条", "有本村十八周岁以上村民的过半数参加"),
    ("villagers_assembly", "quorum", "q", 2, 3, GTE, "households", "第二十二条", "或者有本村三分之二以上的户的代表参加"),
    ("villagers_assembly", "majority", "", 1, 2, GT, "present", "第二十二条", "所作决定应当经到会人员的过半数通过"),
    ("representatives", "quorum", "", 2, 3, GTE, "entitled", "第二十六条", "有三分之二以上的组成人员参加方可召开"),
    ("representatives", "majority", "", 1, 2, GT, "present", "第二十六条", "所作决定应当经到会人员的过半数同意"),
    ("group_meeting", "quorum", "q", 2, 3, GTE, "entitled", "第二十八条", "有本村民小组十八周岁以上的村民三分之二以上参加"),
    ("group_meeting", "quorum", "q", 2, 3, GTE, "households", "第二十八条", "或者有本村民小组三分之二以上的户的代表参加"),
    ("group_meeting", "majority", "", 1, 2, GT, "present", "第二十八条", "所作决定应当经到会人员的过半数同意"),
]

# Local practice of 四议两公开 (domain.md §2.1, §3.3): [U]/[S, local], kept as data and marked unverified.
PRACTICE = [
    ("party_committee", "quorum", "", 1, 2, GT, "entitled", "支部委员会会议惯例", "支部委员会会议须有半数以上委员到会"),
    ("party_committee", "majority", "", 1, 2, GT, "entitled", "集体决定惯例", "须经应到会委员过半数同意"),
    ("two_committees", "quorum", "", 1, 2, GT, "entitled", "“四议两公开”第二步", "村“两委”成员过半数到会"),
    ("two_committees", "majority", "", 1, 2, GT, "present", "“四议两公开”第二步", "按少数服从多数，经到会成员过半数同意"),
    ("party_assembly", "quorum", "", 2, 3, GTE, "entitled", "“四议两公开”第三步", "到会党员须达全体党员三分之二以上"),
    ("party_assembly", "majority", "", 1, 2, GT, "entitled", "“四议两公开”第三步", "须经应到会党员过半数同意"),
    ("group_committee", "quorum", "", 1, 2, GT, "entitled", "“村组联议五步法”第一步", "村民小组组委过半数到会"),
    ("group_committee", "majority", "", 1, 2, GT, "present", "“村组联议五步法”第一步", "经到会组委过半数同意"),
]


def _add(apps: StateApps, rules: list[tuple], **rule_set: object) -> None:
    RuleSet = apps.get_model("rules", "RuleSet")
    Rule = apps.get_model("rules", "Rule")
    rs = RuleSet.objects.create(**rule_set)
    for body, check, alt, num, den, cmp, base, article, text in rules:
        Rule.objects.create(
            rule_set=rs, body=body, kind=check, alternative=alt, numerator=num, denominator=den, comparison=cmp, base=base, article=article, text=text
        )


def seed(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    _add(
        apps,
        VILLAGE_LAW_2018,
        name="村民委员会组织法（2018年修正）",
        jurisdiction="national",
        region_code="",
        law=LAW,
        version="2018年修正",
        effective_from=date(2018, 12, 29),
        effective_to=date(2025, 12, 31),
        verified=True,
        note="domain.md §1.2、§1.4、§1.5；条文序号为2018年文本。",
    )
    # The 2025 amendment renumbered the law (41 → 50 articles); the thresholds are unchanged as far as
    # reported, but the new article numbers are not verified against the gazette (domain.md §1.9).
    renumbered = [(b, c, a, n, d, cmp, base, f"（2025年修正）条款序号待核实，原{art}", t) for b, c, a, n, d, cmp, base, art, t in VILLAGE_LAW_2018]
    _add(
        apps,
        renumbered,
        name="村民委员会组织法（2025年修正）",
        jurisdiction="national",
        region_code="",
        law=LAW,
        version="2025年修正",
        effective_from=date(2026, 1, 1),
        verified=False,
        note="2025年10月28日修正，2026年1月1日施行；条文序号未经官方文本核实（domain.md §1.9）。",
    )
    _add(
        apps,
        PRACTICE,
        name="“四议两公开”工作法地方通行做法",
        jurisdiction="practice",
        region_code="",
        law="“四议两公开”工作法（各地实施办法）",
        version="通行做法",
        effective_from=date(2009, 1, 1),
        verified=False,
        note="domain.md §2.1、§2.3、§3.3：地方做法，各地可另设规则集覆盖。",
    )


def unseed(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    apps.get_model("rules", "RuleSet").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("rules", "0001_initial")]
    operations = [migrations.RunPython(seed, unseed)]

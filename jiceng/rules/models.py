"""Legal thresholds as versioned data (domain.md §0: article numbers changed in 2026, so rules cite
their article in data, never in constants).

A `RuleSet` is one text of one law or local rule (jurisdiction, version, effective dates); its
`Rule`s are the quorum and majority thresholds of each meeting body, as exact fractions with the
comparison the wording demands (以上 = ≥, 过半数/超过 = >) and the base they count against.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Jurisdiction(models.TextChoices):
    NATIONAL = "national", _("全国")
    PROVINCE = "province", _("省")
    CITY = "city", _("市")
    DISTRICT = "district", _("区（县）")
    PRACTICE = "practice", _("地方通行做法")


class Body(models.TextChoices):
    """The meeting bodies whose verdicts the rules decide."""

    PARTY_COMMITTEE = "party_committee", _("村党组织会议")
    TWO_COMMITTEES = "two_committees", _("村“两委”联席会议")
    PARTY_ASSEMBLY = "party_assembly", _("党员大会")
    VILLAGERS_ASSEMBLY = "villagers_assembly", _("村民会议")
    REPRESENTATIVES = "representatives", _("村民代表会议")
    GROUP_COMMITTEE = "group_committee", _("村民小组组委会议")
    GROUP_MEETING = "group_meeting", _("村民小组会议")


class Check(models.TextChoices):
    QUORUM = "quorum", _("到会人数")
    MAJORITY = "majority", _("表决通过")


class Comparison(models.TextChoices):
    AT_LEAST = "gte", _("以上（≥）")
    MORE_THAN = "gt", _("过半数/超过（>）")


class Base(models.TextChoices):
    """What a fraction is taken of."""

    ENTITLED = "entitled", _("应到人数")  # all members of the body (adults 18+, representatives, party members)
    HOUSEHOLDS = "households", _("户数")
    PRESENT = "present", _("到会人数")


class RuleSet(models.Model):
    name = models.CharField(_("名称"), max_length=120)
    jurisdiction = models.CharField(_("适用层级"), max_length=10, choices=Jurisdiction.choices)
    # Administrative-division prefix the rule set covers: "" nationwide, "44" Guangdong, "440703" Pengjiang.
    region_code = models.CharField(_("适用区划代码前缀"), max_length=12, blank=True)
    law = models.CharField(_("法规或文件"), max_length=200)
    version = models.CharField(_("版本"), max_length=60)
    effective_from = models.DateField(_("施行日期"))
    effective_to = models.DateField(_("废止日期"), null=True, blank=True)
    verified = models.BooleanField(_("条文已核实"), default=True, help_text=_("条文序号未经官方文本核实时为否"))
    note = models.TextField(_("说明"), blank=True)

    class Meta:
        verbose_name = _("规则集")
        ordering = ["-effective_from"]

    def __str__(self) -> str:
        return f"{self.law}（{self.version}）"


class Rule(models.Model):
    rule_set = models.ForeignKey(RuleSet, on_delete=models.CASCADE, related_name="rules")
    body = models.CharField(_("会议"), max_length=30, choices=Body.choices)
    kind = models.CharField(_("事项"), max_length=10, choices=Check.choices)
    # Rules of one body and check that share an alternative group are "either/or" (村民会议: adults or households).
    alternative = models.CharField(_("择一组"), max_length=20, blank=True)
    numerator = models.PositiveIntegerField(_("分子"))
    denominator = models.PositiveIntegerField(_("分母"))
    comparison = models.CharField(_("比较"), max_length=3, choices=Comparison.choices)
    base = models.CharField(_("基数"), max_length=12, choices=Base.choices)
    article = models.CharField(_("条款"), max_length=60)
    text = models.CharField(_("条文要点"), max_length=300)

    class Meta:
        verbose_name = _("规则")
        constraints = [
            models.CheckConstraint(condition=models.Q(denominator__gt=0), name="rule_denominator_positive"),
            models.CheckConstraint(condition=models.Q(numerator__lte=models.F("denominator")), name="rule_fraction_at_most_one"),
        ]

    def __str__(self) -> str:
        return f"{self.get_body_display()} {self.get_kind_display()} {self.describe()}"

    def describe(self) -> str:
        word = "以上" if self.comparison == Comparison.AT_LEAST else "超过"
        fraction = "半数" if (self.numerator, self.denominator) == (1, 2) else f"{self.numerator}/{self.denominator}"
        return f"{Base(self.base).label}的{fraction}{word}"

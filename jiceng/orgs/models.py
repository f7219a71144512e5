"""The organization registry (组织机构库): tree, people, party members, posts, units and pairings."""

from datetime import date
from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _
from treebeard.mp_tree import MP_Node


class OrgKind(models.TextChoices):
    PROVINCE = "province", _("省")
    CITY = "city", _("市（州）")
    DISTRICT = "district", _("区（县）")
    TOWN = "town", _("镇")
    SUBDISTRICT = "subdistrict", _("街道")
    VILLAGE = "village", _("村")
    COMMUNITY = "community", _("社区")
    PARTY_COMMITTEE = "party_committee", _("党委")
    GENERAL_BRANCH = "general_branch", _("党总支")
    BRANCH = "branch", _("党支部")
    JOINT_BRANCH = "joint_branch", _("联合党支部")
    PARTY_GROUP = "party_group", _("党小组")
    ORGAN = "organ", _("区直机关单位")
    ENTERPRISE = "enterprise", _("非公企业")
    SOCIAL_ORG = "social_org", _("社会组织")


K = OrgKind
PARTY_ORG_KINDS = frozenset({K.PARTY_COMMITTEE, K.GENERAL_BRANCH, K.BRANCH, K.JOINT_BRANCH, K.PARTY_GROUP})
BRANCH_KINDS = frozenset({K.BRANCH, K.JOINT_BRANCH})
GRASSROOTS_KINDS = frozenset({K.VILLAGE, K.COMMUNITY})
UNIT_KINDS = frozenset({K.ORGAN, K.ENTERPRISE, K.SOCIAL_ORG})
TWO_NEW_KINDS = frozenset({K.ENTERPRISE, K.SOCIAL_ORG})
# The administrative levels above a district: they hold districts (or cities), nothing else.
REGION_KINDS = frozenset({K.PROVINCE, K.CITY})
_UNITS_AND_PLACES = {K.TOWN, K.SUBDISTRICT, K.VILLAGE, K.COMMUNITY, K.ORGAN, K.ENTERPRISE, K.SOCIAL_ORG}

# Which kind may hang under which: the whole shape of the tree in one table (domain.md §3.1).
# A province or a city (地级市/州) may sit above the districts, so that a province- or city-wide
# reader holds one grant and one path range (issue #7); a district may still be a root.
ALLOWED_PARENTS: dict[str, frozenset[str | None]] = {
    K.PROVINCE: frozenset({None}),
    K.CITY: frozenset({None, K.PROVINCE}),
    K.DISTRICT: frozenset({None, K.CITY}),
    K.TOWN: frozenset({K.DISTRICT}),
    K.SUBDISTRICT: frozenset({K.DISTRICT}),
    K.VILLAGE: frozenset({K.TOWN, K.SUBDISTRICT}),
    K.COMMUNITY: frozenset({K.TOWN, K.SUBDISTRICT}),
    K.ORGAN: frozenset({K.DISTRICT}),
    K.ENTERPRISE: frozenset({K.DISTRICT, K.TOWN, K.SUBDISTRICT, K.VILLAGE, K.COMMUNITY}),
    K.SOCIAL_ORG: frozenset({K.DISTRICT, K.TOWN, K.SUBDISTRICT, K.VILLAGE, K.COMMUNITY}),
    K.PARTY_COMMITTEE: frozenset(_UNITS_AND_PLACES),
    K.GENERAL_BRANCH: frozenset(_UNITS_AND_PLACES | {K.PARTY_COMMITTEE}),
    K.BRANCH: frozenset(_UNITS_AND_PLACES | {K.PARTY_COMMITTEE, K.GENERAL_BRANCH}),
    K.JOINT_BRANCH: frozenset({K.TOWN, K.SUBDISTRICT, K.VILLAGE, K.COMMUNITY, K.PARTY_COMMITTEE, K.GENERAL_BRANCH}),
    K.PARTY_GROUP: frozenset({K.BRANCH, K.JOINT_BRANCH, K.GENERAL_BRANCH}),
}


class Formation(models.TextChoices):
    """How a two-new organization is covered by the party (domain.md §3.5)."""

    SINGLE = "single", _("单独组建")
    JOINT = "joint", _("联合组建")
    NONE = "none", _("未组建")


class Organization(MP_Node):
    name = models.CharField(_("名称"), max_length=100)
    code = models.CharField(_("编码"), max_length=32, unique=True, help_text=_("行政区划式编码，如蓬江区 440703"))
    kind = models.CharField(_("类型"), max_length=20, choices=OrgKind.choices)  # indexed by org_kind_path
    formation = models.CharField(_("党组织组建方式"), max_length=10, choices=Formation.choices, blank=True)
    joint_party_org = models.ForeignKey(
        "self",
        verbose_name=_("所属联合党组织"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="covered_units",
        limit_choices_to={"kind": K.JOINT_BRANCH},
    )
    address = models.CharField(_("地址"), max_length=200, blank=True)
    is_active = models.BooleanField(_("有效"), default=True)

    node_order_by = ["code"]

    class Meta:
        verbose_name = _("组织")
        # organizations of some kinds within a subtree (the area filter's levels, the villages in scope):
        # at province scale an index-only range per kind instead of reading 27k rows of 52k
        indexes = [models.Index(fields=["kind", "path"], name="org_kind_path")]

    def __str__(self) -> str:
        return self.name

    @property
    def is_party_org(self) -> bool:
        return self.kind in PARTY_ORG_KINDS

    def get_kind_label(self) -> str:
        return str(OrgKind(self.kind).label)


class Gender(models.TextChoices):
    MALE = "M", _("男")
    FEMALE = "F", _("女")


class Education(models.TextChoices):
    PRIMARY = "primary", _("小学")
    JUNIOR = "junior", _("初中")
    SENIOR = "senior", _("高中/中专")
    COLLEGE = "college", _("大专")
    BACHELOR = "bachelor", _("本科")
    POSTGRADUATE = "postgraduate", _("研究生")


class Person(models.Model):
    """A person known to the registry. ID number and phone are stored encrypted (domain.md §9.1)."""

    # No single-column indexes on organization, name or initials: person_org_name and person_org_initials
    # lead with the organization and serve scoped prefixes of the name and of the initials, the trigram
    # indexes serve longer searches; each index more costs every imported row (docs/performance.md, "Import").
    organization = models.ForeignKey(
        Organization, verbose_name=_("所属组织"), on_delete=models.PROTECT, related_name="people", db_index=False
    )
    name = models.CharField(_("姓名"), max_length=50)
    name_initials = models.CharField(_("姓名拼音首字母"), max_length=50, blank=True)
    gender = models.CharField(_("性别"), max_length=1, choices=Gender.choices)
    birth_date = models.DateField(_("出生日期"), null=True, blank=True)
    ethnicity = models.CharField(_("民族"), max_length=20, blank=True, default="汉族")
    education = models.CharField(_("学历"), max_length=20, choices=Education.choices, blank=True)
    address = models.CharField(_("住址"), max_length=200, blank=True)
    id_number_encrypted = models.TextField(blank=True)
    id_number_hash = models.CharField(max_length=64, blank=True)
    id_number_masked = models.CharField(_("身份证号"), max_length=32, blank=True)
    phone_encrypted = models.TextField(blank=True)
    phone_hash = models.CharField(max_length=64, blank=True)
    phone_masked = models.CharField(_("手机号"), max_length=20, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("人员")
        constraints = [
            models.UniqueConstraint(fields=["id_number_hash"], condition=~models.Q(id_number_hash=""), name="unique_person_id_number")
        ]
        # "in scope and starting with 陈" (or initials starting with cj) on the people list, as on members
        indexes = [
            models.Index(fields=["organization", "name"], name="person_org_name", opclasses=["int8_ops", "varchar_pattern_ops"]),
            models.Index(
                fields=["organization", "name_initials"], name="person_org_initials", opclasses=["int8_ops", "varchar_pattern_ops"]
            ),
            models.Index(fields=["phone_hash"], name="person_phone_hash"),  # equality only: no pattern twin
        ]

    def __str__(self) -> str:
        return self.name

    def age_on(self, day: date) -> int | None:
        if self.birth_date is None:
            return None
        b = self.birth_date
        return day.year - b.year - ((day.month, day.day) < (b.month, b.day))


class Stage(models.TextChoices):
    """The development pipeline (发展党员), domain.md §3.4."""

    APPLICANT = "applicant", _("入党申请人")
    ACTIVIST = "activist", _("入党积极分子")
    CANDIDATE = "candidate", _("发展对象")
    PROBATIONARY = "probationary", _("预备党员")
    FULL = "full", _("正式党员")


STAGE_ORDER = [Stage.APPLICANT, Stage.ACTIVIST, Stage.CANDIDATE, Stage.PROBATIONARY, Stage.FULL]
STAGE_DATE_FIELD = {
    Stage.APPLICANT: "applied_on",
    Stage.ACTIVIST: "activist_on",
    Stage.CANDIDATE: "candidate_on",
    Stage.PROBATIONARY: "probationary_on",
    Stage.FULL: "full_on",
}


class Member(models.Model):
    """A party member or someone in the development pipeline, attached to one branch."""

    person = models.OneToOneField(Person, on_delete=models.PROTECT, related_name="member")
    # branch and stage are served by the (branch, stage) and (branch, name) indexes below
    branch = models.ForeignKey(Organization, verbose_name=_("所在党组织"), on_delete=models.PROTECT, related_name="members", db_index=False)
    stage = models.CharField(_("阶段"), max_length=20, choices=Stage.choices)
    applied_on = models.DateField(_("申请入党日期"), null=True, blank=True)
    activist_on = models.DateField(_("确定积极分子日期"), null=True, blank=True)
    candidate_on = models.DateField(_("确定发展对象日期"), null=True, blank=True)
    probationary_on = models.DateField(_("接收预备党员日期"), null=True, blank=True)
    full_on = models.DateField(_("转正日期"), null=True, blank=True)
    work_unit = models.ForeignKey(
        Organization, verbose_name=_("工作单位"), null=True, blank=True, on_delete=models.SET_NULL, related_name="employed_members"
    )
    residence_community = models.ForeignKey(
        Organization, verbose_name=_("居住社区"), null=True, blank=True, on_delete=models.SET_NULL, related_name="resident_members"
    )
    # The person's name and pinyin initials, copied so that a member search reads this table alone and
    # the (branch, name) index serves "in scope and starting with 陈" (docs/performance.md). Every path
    # that creates a member or renames a person writes them (services, import, demo, generate_scale).
    name = models.CharField(_("姓名"), max_length=50, blank=True, editable=False)
    name_initials = models.CharField(_("姓名拼音首字母"), max_length=50, blank=True, editable=False)

    class Meta:
        verbose_name = _("党员")
        indexes = [
            models.Index(fields=["branch", "stage"], name="member_branch_stage"),
            # pattern opclass: the database collation is not C, so LIKE '陈%' needs it to use the index
            models.Index(fields=["branch", "name"], name="member_branch_name", opclasses=["int8_ops", "varchar_pattern_ops"]),
            # "in scope and initials starting with cj": one or two Latin letters (selectors._name_filter)
            models.Index(fields=["branch", "name_initials"], name="member_branch_initials", opclasses=["int8_ops", "varchar_pattern_ops"]),
        ]

    def __str__(self) -> str:
        return self.person.name

    def save(self, *args: Any, **kwargs: Any) -> None:
        # A member saved without its search copy (a fixture, the admin) takes the person's; bulk writers
        # set it themselves or call services.member_names_sync().
        if not self.name and self.person_id is not None:
            self.name, self.name_initials = self.person.name, self.person.name_initials
        super().save(*args, **kwargs)

    @property
    def branch_path(self) -> str:
        return self.branch.path


class PostRole(models.TextChoices):
    SECRETARY = "secretary", _("书记")
    DEPUTY_SECRETARY = "deputy_secretary", _("副书记")
    COMMITTEE_MEMBER = "committee_member", _("委员")
    CHAIR = "chair", _("主任")
    VICE_CHAIR = "vice_chair", _("副主任")
    COMMITTEE_MEMBER_VC = "vc_member", _("村（居）委委员")
    COOP_HEAD = "coop_head", _("经联社社长")
    SUPERVISION_CHAIR = "supervision_chair", _("监委会主任")
    GRID_CHIEF = "grid_chief", _("网格长")
    PART_TIME_MEMBER = "part_time_member", _("兼职委员")


PARTY_COMMITTEE_ROLES = frozenset({PostRole.SECRETARY, PostRole.DEPUTY_SECRETARY, PostRole.COMMITTEE_MEMBER})


class Post(models.Model):
    """A position held by a person in an organization for a period (domain.md §10.1)."""

    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="posts")
    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="posts")
    role = models.CharField(_("职务"), max_length=30, choices=PostRole.choices)
    start_date = models.DateField(_("任职日期"))
    end_date = models.DateField(_("离任日期"), null=True, blank=True)
    elected = models.BooleanField(_("选举产生"), default=True)

    class Meta:
        verbose_name = _("职务")
        indexes = [models.Index(fields=["organization", "role"], name="post_org_role")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end_date__isnull=True) | models.Q(end_date__gte=models.F("start_date")), name="post_end_after_start"
            ),
            # Two imports or edits racing must not open the same post twice.
            models.UniqueConstraint(
                fields=["person", "organization", "role"], condition=models.Q(end_date__isnull=True), name="unique_open_post"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person.name} {self.get_role_display()}"


class ReserveCadre(models.Model):
    """后备干部 kept per village or community (domain.md §10.2)."""

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="reserve_cadres")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="reserve_entries")
    since = models.DateField(_("纳入日期"))
    note = models.CharField(_("备注"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("后备干部")
        constraints = [models.UniqueConstraint(fields=["organization", "person"], name="unique_reserve_cadre")]

    def __str__(self) -> str:
        return f"{self.person} @ {self.organization}"


class GrandCommitteeUnit(models.Model):
    """A member unit of a community's grand party committee (社区大党委, domain.md §7.6)."""

    community = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="grand_committee_units")
    unit = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="grand_committee_memberships")
    part_time_member = models.ForeignKey(Person, verbose_name=_("兼职委员"), null=True, blank=True, on_delete=models.SET_NULL)
    agreement_date = models.DateField(_("共建协议日期"))

    class Meta:
        verbose_name = _("大党委成员单位")
        constraints = [models.UniqueConstraint(fields=["community", "unit"], name="unique_grand_committee_unit")]

    def __str__(self) -> str:
        return f"{self.unit} → {self.community}"


class Pairing(models.Model):
    """A district unit paired with a community or village (结对共建, domain.md §7.6)."""

    unit = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="pairings")
    community = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="paired_units")
    agreement_date = models.DateField(_("协议签订日期"))
    end_date = models.DateField(_("协议终止日期"), null=True, blank=True)

    class Meta:
        verbose_name = _("结对共建")
        constraints = [models.UniqueConstraint(fields=["unit", "community", "agreement_date"], name="unique_pairing")]

    def __str__(self) -> str:
        return f"{self.unit} ⇄ {self.community}"


# Import jobs live in their own module; importing them here registers the model with the app.
from jiceng.orgs.models_import import ImportJob, ImportStatus  # noqa: E402, F401

"""Forms of the registry's staff pages. They parse input; the rules live in services.py.

Every choice of an organization or a person is limited to the actor's part of the tree, so a
village secretary cannot even name another village's branch: the form refuses it as an invalid choice.
"""

from datetime import date
from typing import TYPE_CHECKING, Any

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from jiceng.accounts.access import scope
from jiceng.accounts.models import User
from jiceng.lib.validators import normalize_id_number, normalize_phone
from jiceng.orgs import selectors
from jiceng.orgs.access import roles
from jiceng.orgs.models import (
    ALLOWED_PARENTS,
    GRASSROOTS_KINDS,
    PARTY_COMMITTEE_ROLES,
    PARTY_ORG_KINDS,
    STAGE_DATE_FIELD,
    TWO_NEW_KINDS,
    UNIT_KINDS,
    Education,
    Formation,
    Gender,
    Member,
    Organization,
    OrgKind,
    Person,
    PostRole,
    Stage,
)
from jiceng.orgs.services import PLACE_ROLES

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

PICK_LIMIT = 10  # people shown by the search box of a person picker
MEMBER_BRANCH_KINDS = PARTY_ORG_KINDS - {OrgKind.PARTY_GROUP}  # a party group is not a member's organization

FIELD_TEMPLATE = "web/_partials/field.html"


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs, format="%Y-%m-%d")


def _date(label: "StrOrPromise", required: bool = True) -> forms.DateField:
    return forms.DateField(label=label, required=required, widget=DateInput())


def _with_current(qs: QuerySet[Organization], current_id: int | None) -> QuerySet[Organization]:
    """A choice list that keeps the value already stored even when it lies outside the actor's scope,
    so saving a form never silently clears it."""
    if current_id is None:
        return qs
    return Organization.objects.filter(Q(pk__in=qs.values("pk")) | Q(pk=current_id))


class OrgChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Organization) -> str:
        return f"{obj.name}（{obj.get_kind_label()}）"


class PersonPicker(forms.Widget):
    """A search box (htmx) and a short list of matching people as radio buttons."""

    template_name = "orgs/_partials/edit_person_picker.html"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs)
        self.people: list[Person] = []
        self.q = ""
        self.search_url = ""
        self.optional = False

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict[str, Any]:
        context = super().get_context(name, value, attrs)
        widget = context["widget"]
        widget.update(people=self.people, q=self.q, search_url=self.search_url, optional=self.optional)
        widget["selected"] = "" if value is None else str(value)
        # The search box carries the label and the error state; "required" belongs to the radios.
        widget["search_attrs"] = {k: v for k, v in widget["attrs"].items() if k in ("aria-invalid", "aria-describedby")}
        return context


class PersonField(forms.ModelChoiceField):
    widget = PersonPicker
    default_error_messages = {"invalid_choice": _("请从搜索结果中选择人员。")}


class EditForm(forms.Form):
    """Base of the staff forms: Pico-friendly field markup and service errors shown on the form."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.template_name = FIELD_TEMPLATE  # type: ignore[attr-defined]  # Django 5.0 attribute, missing from the stubs

    def add_service_error(self, exc: ValidationError) -> None:
        """Put a service's ValidationError on the field it names, or on the form."""
        if hasattr(exc, "error_dict"):
            for field, errors in exc.error_dict.items():
                self.add_error(field if field in self.fields else None, errors)
        else:
            self.add_error(None, exc)

    def setup_picker(self, name: str, user: User, q: str, search_url: str) -> None:
        """Limit a person field to the people the actor may see and fill the picker's short list."""
        field = self.fields[name]
        assert isinstance(field, PersonField)
        field.queryset = scope(Person.objects.select_related("organization"), user, roles("person.view"), "organization__path")
        widget = field.widget
        assert isinstance(widget, PersonPicker)
        widget.q, widget.search_url, widget.optional = q.strip(), search_url, not field.required
        widget.people = list(selectors.people_for_user(user, {"q": q})[:PICK_LIMIT]) if q.strip() else []
        selected = str(self[name].value() or "")
        if selected.isdigit() and all(str(p.pk) != selected for p in widget.people):
            widget.people[:0] = field.queryset.filter(pk=int(selected))


# ---- people --------------------------------------------------------------------------------


class PersonForm(EditForm):
    """A person's own data. The ID number and phone are only ever typed in full, never shown in full."""

    name = forms.CharField(label=_("姓名"), max_length=50)
    gender = forms.ChoiceField(label=_("性别"), choices=Gender.choices)
    birth_date = _date(_("出生日期"), required=False)
    ethnicity = forms.CharField(label=_("民族"), max_length=20, required=False, initial="汉族")
    education = forms.ChoiceField(label=_("学历"), choices=[("", "—"), *Education.choices], required=False)
    address = forms.CharField(label=_("住址"), max_length=200, required=False)
    id_number = forms.CharField(label=_("身份证号"), max_length=18, required=False, help_text=_("填写后出生日期以身份证号为准。"))
    phone = forms.CharField(label=_("手机号"), max_length=20, required=False)

    def __init__(self, *args: Any, person: Person | None = None, **kwargs: Any) -> None:
        if person is not None:
            kwargs.setdefault(
                "initial", {f: getattr(person, f) for f in ("name", "gender", "birth_date", "ethnicity", "education", "address")}
            )
        super().__init__(*args, **kwargs)
        self.person = person
        if person is None:
            return
        for field, masked in (("id_number", person.id_number_masked), ("phone", person.phone_masked)):
            self.fields[field].required = False
            self.fields[field].help_text = _("如需更正请填写完整号码") if masked else ""
            self.fields[field].widget.attrs["placeholder"] = masked or ""
        if person.id_number_masked:
            # The birth date follows the ID number on record (GB 11643-1999); it changes with the number.
            self.fields["birth_date"].disabled = True
            self.fields["birth_date"].help_text = _("由身份证号确定；更正身份证号后自动更新。")

    def clean_id_number(self) -> str:
        value: str = self.cleaned_data["id_number"].strip()
        return normalize_id_number(value) if value else ""

    def clean_phone(self) -> str:
        value: str = self.cleaned_data["phone"].strip()
        return normalize_phone(value) if value else ""

    def service_kwargs(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        if self.fields["birth_date"].disabled:
            del data["birth_date"]
        if self.person is not None:
            # Empty means "keep the number on record".
            data["id_number"] = data["id_number"] or None
            data["phone"] = data["phone"] or None
        return data


class MemberForm(EditForm):
    branch = OrgChoiceField(
        label=_("所在党组织"),
        queryset=Organization.objects.none(),
        error_messages={"invalid_choice": _("请从您管辖范围内的党组织中选择。")},
    )
    stage = forms.ChoiceField(label=_("发展阶段"), choices=Stage.choices)
    applied_on = _date(_("申请入党日期"), required=False)
    activist_on = _date(_("确定积极分子日期"), required=False)
    candidate_on = _date(_("确定发展对象日期"), required=False)
    probationary_on = _date(_("接收预备党员日期"), required=False)
    full_on = _date(_("转正日期"), required=False)
    work_unit = OrgChoiceField(
        label=_("工作单位"),
        queryset=Organization.objects.none(),
        required=False,
        error_messages={"invalid_choice": _("请从列表中选择单位。")},
    )
    residence_community = OrgChoiceField(
        label=_("居住社区（村）"),
        queryset=Organization.objects.none(),
        required=False,
        error_messages={"invalid_choice": _("请从列表中选择社区或村。")},
    )

    def __init__(self, *args: Any, user: User, member: Member | None = None, **kwargs: Any) -> None:
        if member is not None:
            initial = {"branch": member.branch_id, "stage": member.stage, "work_unit": member.work_unit_id}
            initial |= {"residence_community": member.residence_community_id}
            initial |= {f: getattr(member, f) for f in STAGE_DATE_FIELD.values()}
            kwargs.setdefault("initial", initial)
        super().__init__(*args, **kwargs)
        branches = scope(Organization.objects.filter(kind__in=MEMBER_BRANCH_KINDS), user, roles("member.change"), "path")
        visible = selectors.visible_orgs(user)
        fields: dict[str, Any] = self.fields
        fields["branch"].queryset = branches.order_by("path")
        fields["work_unit"].queryset = _with_current(visible.filter(kind__in=UNIT_KINDS), member.work_unit_id if member else None).order_by(
            "path"
        )
        fields["residence_community"].queryset = _with_current(
            visible.filter(kind__in=GRASSROOTS_KINDS), member.residence_community_id if member else None
        ).order_by("path")

    def service_kwargs(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "branch": data["branch"],
            "stage": data["stage"],
            "dates": {field: data.get(field) for field in STAGE_DATE_FIELD.values()},
            "work_unit": data.get("work_unit"),
            "residence_community": data.get("residence_community"),
        }


# ---- posts ---------------------------------------------------------------------------------


class PostForm(EditForm):
    person = PersonField(label=_("人员"), queryset=Person.objects.none())
    organization = OrgChoiceField(label=_("任职组织"), queryset=Organization.objects.none(), empty_label=None)
    role = forms.ChoiceField(label=_("职务"), choices=PostRole.choices)
    start_date = _date(_("任职日期"))
    elected = forms.TypedChoiceField(
        label=_("产生方式"),
        choices=[("1", _("选举产生")), ("0", _("组织任命"))],
        coerce=lambda v: v == "1",
        widget=forms.RadioSelect,
        initial="1",
    )

    def __init__(self, *args: Any, user: User, org: Organization, q: str = "", search_url: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.setup_picker("person", user, q, search_url)
        # The page's organization and the party organizations directly under it (a village and its branch).
        children = Organization.objects.filter(path__startswith=org.path, depth=org.depth + 1, kind__in=PARTY_ORG_KINDS)
        field: Any = self.fields["organization"]
        field.queryset = Organization.objects.filter(Q(pk=org.pk) | Q(pk__in=children.values("pk"))).order_by("path")
        self.initial.setdefault("organization", org.pk)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        org, role = data.get("organization"), data.get("role")
        if org is None or not role:
            return data
        if role in PARTY_COMMITTEE_ROLES and org.kind not in PARTY_ORG_KINDS:
            self.add_error("organization", _("书记、副书记、委员是党组织的职务，请选择党组织。"))
        elif role in PLACE_ROLES and org.kind in PARTY_ORG_KINDS:
            self.add_error(
                "organization", _("主任、副主任、村（居）委委员、经联社社长、监委会主任不是党组织的职务，请选择村（社区）或单位。")
            )
        return data


class EndDateForm(EditForm):
    end_date = _date(_("离任日期"))

    def __init__(self, *args: Any, label: str = "", **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"end_date": date.today()})
        super().__init__(*args, **kwargs)
        field = self.fields["end_date"]
        if label:
            field.label = label
        field.widget.attrs["aria-label"] = field.label


# ---- organizations -------------------------------------------------------------------------


def child_kinds(parent_kind: str) -> list[tuple[str, str]]:
    """Kinds that may hang under this kind, by the one table ALLOWED_PARENTS."""
    return [(value, str(label)) for value, label in OrgKind.choices if parent_kind in ALLOWED_PARENTS[value]]


class _FormationFields(EditForm):
    formation = forms.ChoiceField(
        label=_("党组织组建方式"),
        choices=[("", "—"), *Formation.choices],
        required=False,
        help_text=_("仅非公企业、社会组织填写。"),
    )
    joint_party_org = OrgChoiceField(
        label=_("所属联合党支部"),
        queryset=Organization.objects.none(),
        required=False,
        help_text=_("联合组建时选择。"),
        error_messages={"invalid_choice": _("请从您管辖范围内的联合党支部中选择。")},
    )

    def _setup_joint(self, user: User, current_id: int | None) -> None:
        joint = selectors.visible_orgs(user).filter(kind=OrgKind.JOINT_BRANCH)
        field: Any = self.fields["joint_party_org"]
        field.queryset = _with_current(joint, current_id).order_by("path")


class OrgCreateForm(_FormationFields):
    field_order = ["name", "code", "kind", "formation", "joint_party_org", "address"]

    name = forms.CharField(label=_("名称"), max_length=100)
    code = forms.CharField(label=_("编码"), max_length=32, help_text=_("行政区划式编码，全区唯一，如 440703100201D1。"))
    kind = forms.ChoiceField(label=_("类型"))
    address = forms.CharField(label=_("地址"), max_length=200, required=False)

    def __init__(self, *args: Any, user: User, parent: Organization, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        kind: Any = self.fields["kind"]
        kind.choices = child_kinds(parent.kind)
        kind.error_messages["invalid_choice"] = _("该类型的组织不能设在“%(parent)s”之下。") % {"parent": parent.get_kind_label()}
        self._setup_joint(user, None)


class OrgEditForm(_FormationFields):
    field_order = ["name", "address", "formation", "joint_party_org", "is_active"]

    name = forms.CharField(label=_("名称"), max_length=100)
    address = forms.CharField(label=_("地址"), max_length=200, required=False)
    is_active = forms.BooleanField(label=_("有效"), required=False, help_text=_("撤销或停用的组织取消勾选。"))

    def __init__(self, *args: Any, user: User, org: Organization, **kwargs: Any) -> None:
        fields = ("name", "address", "formation", "joint_party_org", "is_active")
        kwargs.setdefault("initial", {f: getattr(org, f"{f}_id" if f == "joint_party_org" else f) for f in fields})
        super().__init__(*args, **kwargs)
        if org.kind in TWO_NEW_KINDS:
            self._setup_joint(user, org.joint_party_org_id)
        else:
            del self.fields["formation"], self.fields["joint_party_org"]


# ---- reserve cadres, grand-committee member units, pairings --------------------------------


class ReserveForm(EditForm):
    person = PersonField(label=_("人员"), queryset=Person.objects.none())
    since = _date(_("纳入日期"))
    note = forms.CharField(label=_("备注"), max_length=200, required=False, help_text=_("如：返乡创业青年、退役军人、大学毕业生。"))

    def __init__(self, *args: Any, user: User, q: str = "", search_url: str = "", **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"since": date.today()})
        super().__init__(*args, **kwargs)
        self.setup_picker("person", user, q, search_url)


class GrandUnitForm(EditForm):
    unit = OrgChoiceField(
        label=_("成员单位"),
        queryset=Organization.objects.none(),
        error_messages={"invalid_choice": _("请从您可见的机关单位、非公企业或社会组织中选择。")},
    )
    part_time_member = PersonField(label=_("兼职委员"), queryset=Person.objects.none(), required=False)
    agreement_date = _date(_("共建协议日期"))

    def __init__(self, *args: Any, user: User, q: str = "", search_url: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field: Any = self.fields["unit"]
        field.queryset = selectors.visible_orgs(user).filter(kind__in=UNIT_KINDS).order_by("path")
        self.setup_picker("part_time_member", user, q, search_url)


class PairingForm(EditForm):
    unit = OrgChoiceField(
        label=_("结对单位（区直机关）"),
        queryset=Organization.objects.none(),
        error_messages={"invalid_choice": _("请从您可见的区直机关单位中选择。")},
    )
    agreement_date = _date(_("协议签订日期"))
    end_date = _date(_("协议终止日期"), required=False)

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field: Any = self.fields["unit"]
        field.queryset = selectors.visible_orgs(user).filter(kind=OrgKind.ORGAN).order_by("path")

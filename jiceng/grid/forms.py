"""Forms of the grid pages. They parse input; the rules live in services.py."""

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from jiceng.accounts.models import User
from jiceng.grid import selectors
from jiceng.grid.models import CaseCategory, DispatchTarget, ForceKind, Grid, GridKind, MemberRole
from jiceng.orgs.models import PARTY_ORG_KINDS, Organization, Person


class ServiceForm(forms.Form):
    def add_service_error(self, exc: ValidationError) -> None:
        if hasattr(exc, "error_dict"):
            for key, errors in exc.error_dict.items():
                self.add_error(key if key in self.fields else None, errors)
        else:
            self.add_error(None, exc)


class DateInput(forms.DateInput):
    input_type = "date"


class GridForm(ServiceForm):
    village = forms.ModelChoiceField(label=_("村（社区）"), queryset=Organization.objects.none())
    number = forms.CharField(label=_("网格序号"), max_length=3, help_text=_("三位数字，如 001；编码为村（社区）编码加序号"))
    name = forms.CharField(label=_("名称"), max_length=100)
    kind = forms.ChoiceField(label=_("类型"), choices=GridKind.choices)
    households = forms.IntegerField(label=_("户数"), min_value=0, initial=0)
    population = forms.IntegerField(label=_("人口"), min_value=0, initial=0)
    party_org = forms.ModelChoiceField(label=_("网格党组织"), queryset=Organization.objects.none(), required=False)
    boundary = forms.CharField(
        label=_("边界（GeoJSON）"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 6, "spellcheck": "false"}),
        help_text=_("粘贴 GeoJSON 的 Polygon 或 MultiPolygon（坐标为 [经度, 纬度]），可由测绘软件或“粤政图”导出。"),
    )

    def __init__(self, *args: Any, user: User, grid: Grid | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        villages = [v.pk for v in selectors.villages_for_user(user)]
        self.fields["village"].queryset = Organization.objects.filter(pk__in=villages).order_by("code")  # type: ignore[attr-defined]
        orgs = Organization.objects.filter(kind__in=PARTY_ORG_KINDS).order_by("path")
        if grid is not None:
            del self.fields["village"], self.fields["number"]
            orgs = orgs.filter(path__startswith=grid.village.path)
        self.fields["party_org"].queryset = orgs  # type: ignore[attr-defined]
        if grid is None and self.data.get("village", "").isdigit():
            village = Organization.objects.filter(pk=self.data["village"], pk__in=villages).first()
            self.fields["party_org"].queryset = orgs.filter(path__startswith=village.path) if village else orgs.none()  # type: ignore[attr-defined]
        elif grid is None:
            self.fields["party_org"].queryset = orgs.filter(path__in=[])  # type: ignore[attr-defined]
            self.fields["party_org"].help_text = _("保存后可在编辑页选择本村（社区）的党支部或党小组。")


class MemberForm(ServiceForm):
    person = forms.ModelChoiceField(label=_("人员"), queryset=Person.objects.none())
    role = forms.ChoiceField(label=_("职责"), choices=MemberRole.choices)
    start_date = forms.DateField(label=_("开始日期"), widget=DateInput())
    user = forms.ModelChoiceField(label=_("登录账号（网格员用手机上报时）"), queryset=User.objects.none(), required=False)

    def __init__(self, *args: Any, grid: Grid, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["person"].queryset = Person.objects.filter(organization__path__startswith=grid.village.path).order_by("name")  # type: ignore[attr-defined]
        self.fields["user"].queryset = User.objects.filter(  # type: ignore[attr-defined]
            grants__organization__path__startswith=grid.village.path, is_active=True
        ).distinct()


class ForceForm(ServiceForm):
    kind = forms.ChoiceField(label=_("类别"), choices=ForceKind.choices)
    name = forms.CharField(label=_("名称"), max_length=100)
    contact_name = forms.CharField(label=_("联系人"), max_length=50, required=False)
    phone = forms.CharField(label=_("联系电话"), max_length=20, required=False)


class CaseForm(ServiceForm):
    category = forms.ModelChoiceField(label=_("事件类别"), queryset=CaseCategory.objects.filter(is_active=True))
    description = forms.CharField(label=_("事件描述"), widget=forms.Textarea(attrs={"rows": 3}))
    address = forms.CharField(label=_("地点描述"), max_length=200, required=False, help_text=_("如：东华里 12 号旁"))
    lng = forms.FloatField(widget=forms.HiddenInput(), error_messages={"required": _("请在地图上点选事件位置。")})
    lat = forms.FloatField(widget=forms.HiddenInput(), error_messages={"required": _("请在地图上点选事件位置。")})


class PublicCaseForm(CaseForm):
    reporter_name = forms.CharField(label=_("您的姓名"), max_length=50)
    reporter_phone = forms.CharField(label=_("手机号"), max_length=20, help_text=_("仅用于回访，不会公开"))


class MoveForm(ServiceForm):
    reason = forms.CharField(label=_("理由/说明"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    result = forms.CharField(label=_("处置结果"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    target = forms.ChoiceField(label=_("分派去向"), choices=[("", "—"), *DispatchTarget.choices], required=False)
    dispatched_to = forms.CharField(label=_("承办部门"), max_length=100, required=False)
    force = forms.IntegerField(required=False)
    satisfaction = forms.IntegerField(label=_("满意度"), min_value=1, max_value=5, required=False)

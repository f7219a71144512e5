"""Forms of the needs pages. They parse input; the loop's rules live in services.py."""

from datetime import date
from typing import Any

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext_lazy as _

from jiceng.needs import services
from jiceng.needs.models import Need, NeedCategory, NeedKind
from jiceng.orgs.models import Member, Organization

FIELD_TEMPLATE = "web/_partials/field.html"


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs, format="%Y-%m-%d")


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class PhotosField(forms.FileField):
    widget = MultipleFileInput(attrs={"accept": "image/jpeg,image/png,image/webp"})

    def clean(self, data: Any, initial: Any = None) -> list[UploadedFile]:
        if not data:
            return []
        files = data if isinstance(data, list | tuple) else [data]
        return [super(PhotosField, self).clean(f, initial) for f in files]


class Form(forms.Form):
    template_name_div = "needs/_partials/form_fields.html"


class NeedForm(Form):
    """A need as the resident (public form) or a grid worker (staff form) enters it."""

    requester_name = forms.CharField(label=_("姓名"), max_length=50)
    phone = forms.CharField(label=_("手机号"), max_length=20, widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}))
    kind = forms.ChoiceField(label=_("类型"), choices=NeedKind.choices, initial=NeedKind.SERVICE)
    category = forms.ChoiceField(label=_("类别"), choices=NeedCategory.choices)
    title = forms.CharField(label=_("需求标题"), max_length=60, help_text=_("一句话说明，例如：帮忙更换楼道灯泡"))
    description = forms.CharField(label=_("具体内容"), max_length=1000, widget=forms.Textarea(attrs={"rows": 4}))
    grid = forms.ModelChoiceField(label=_("所在网格"), queryset=Organization.objects.none(), required=False)
    address = forms.CharField(label=_("地址"), max_length=200, required=False, help_text=_("地址和网格至少填写一项"))
    wanted_by = forms.DateField(label=_("希望完成日期"), required=False, widget=DateInput())
    photos = PhotosField(label=_("照片（可选，最多 6 张）"), required=False)
    consent = forms.BooleanField(
        label=_("我已阅读并同意《个人信息处理告知》：本平台仅为办理本需求处理我的姓名、手机号和地址"),
        required=False,
    )

    def __init__(self, *args: Any, community: Organization, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        from jiceng.grid.models import Grid

        self.fields["grid"].queryset = Grid.objects.filter(village=community, is_active=True).order_by("code")  # type: ignore[attr-defined]

    def need_input(self) -> services.NeedInput:
        d = self.cleaned_data
        return services.NeedInput(
            kind=d["kind"],
            category=d["category"],
            title=d["title"],
            description=d["description"],
            requester_name=d["requester_name"],
            phone=d["phone"],
            consent=bool(d["consent"]),
            address=d["address"],
            grid_id=d["grid"].pk if d["grid"] else None,
            wanted_by=d["wanted_by"],
        )


class PublicNeedForm(NeedForm):
    code = forms.CharField(
        label=_("短信验证码"),
        max_length=6,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code"}),
    )


class RejectForm(Form):
    reason = forms.CharField(label=_("不予受理理由（群众可见）"), max_length=300, widget=forms.Textarea(attrs={"rows": 2}))


class MergeForm(Form):
    into = forms.ModelChoiceField(label=_("合并到（保留的需求）"), queryset=Need.objects.none())

    def __init__(self, *args: Any, need: Need, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        qs = Need.objects.filter(community=need.community).exclude(pk=need.pk).exclude(status__in=("rejected", "merged", "closed"))
        self.fields["into"].queryset = qs.order_by("-submitted_at")  # type: ignore[attr-defined]
        self.fields["into"].label_from_instance = lambda n: f"{n.tracking_code} {n.title}"  # type: ignore[attr-defined]


class ListForm(Form):
    public_title = forms.CharField(label=_("公开标题"), max_length=60, required=False, help_text=_("不含姓名、电话、门牌号"))
    public_description = forms.CharField(label=_("公开说明"), max_length=1000, required=False, widget=forms.Textarea(attrs={"rows": 3}))
    capacity = forms.IntegerField(label=_("所需人数"), min_value=1, max_value=50, initial=1)
    claim_deadline = forms.DateField(label=_("认领截止日期"), widget=DateInput())
    points = forms.IntegerField(label=_("积分"), min_value=0, max_value=100, initial=2)


class DispatchForm(Form):
    unit = forms.ModelChoiceField(label=_("派给结对单位"), queryset=Organization.objects.none(), required=False)
    member = forms.ModelChoiceField(label=_("或派给党员"), queryset=Member.objects.none(), required=False)
    due_on = forms.DateField(label=_("履约期限"), widget=DateInput(), required=False)
    points = forms.IntegerField(label=_("积分"), min_value=0, max_value=100, initial=2)

    def __init__(self, *args: Any, need: Need, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        today = date.today()
        units = services.paired_units(need.community, today)
        members = services.members_for_dispatch(need.community)
        self.fields["unit"].queryset = Organization.objects.filter(pk__in=[u.pk for u in units]).order_by("name")  # type: ignore[attr-defined]
        self.fields["member"].queryset = (  # type: ignore[attr-defined]
            Member.objects.filter(pk__in=[m.pk for m in members]).select_related("person").order_by("person__name")
        )


class CloseForm(Form):
    reason = forms.CharField(label=_("关闭原因"), max_length=300)


class FulfilForm(Form):
    fulfilled_on = forms.DateField(label=_("服务日期"), widget=DateInput())
    hours = forms.DecimalField(label=_("服务时长（小时）"), max_digits=4, decimal_places=1, min_value=0.1, max_value=24)  # type: ignore[arg-type]
    note = forms.CharField(label=_("服务情况"), max_length=500, widget=forms.Textarea(attrs={"rows": 3}))
    photos = PhotosField(label=_("服务照片（可选）"), required=False)


class ConfirmForm(Form):
    rating = forms.TypedChoiceField(
        label=_("满意度"), choices=[(i, "★" * i) for i in range(5, 0, -1)], coerce=int, widget=forms.RadioSelect, initial=5
    )
    comment = forms.CharField(label=_("评价（可选）"), max_length=300, required=False)
    code = forms.CharField(label=_("短信验证码"), max_length=6, widget=forms.TextInput(attrs={"inputmode": "numeric"}))


class DisputeForm(Form):
    reason = forms.CharField(label=_("哪里不满意"), max_length=300, widget=forms.Textarea(attrs={"rows": 2}))
    code = forms.CharField(label=_("短信验证码"), max_length=6, widget=forms.TextInput(attrs={"inputmode": "numeric"}))


class TrackForm(Form):
    code = forms.CharField(label=_("查询码"), max_length=20)

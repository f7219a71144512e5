from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from jiceng.orgs.models import Organization
from jiceng.portal.models import Category, DisclosureCategory, DisclosureDomain

TEL = forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"})
OTP = forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code"})


class CommentForm(forms.Form):
    nickname = forms.CharField(label=_("昵称（选填）"), max_length=20, required=False)
    body = forms.CharField(label=_("评论内容"), max_length=500, widget=forms.Textarea(attrs={"rows": 3}))
    phone = forms.CharField(label=_("手机号"), max_length=20, widget=TEL)
    code = forms.CharField(label=_("短信验证码"), max_length=6, widget=OTP)


class ConsultForm(forms.Form):
    question = forms.CharField(label=_("咨询内容"), max_length=1000, widget=forms.Textarea(attrs={"rows": 4}))
    phone = forms.CharField(label=_("手机号"), max_length=20, widget=TEL)
    code = forms.CharField(label=_("短信验证码"), max_length=6, widget=OTP)


class ArticleForm(forms.Form):
    organization = forms.ModelChoiceField(label=_("发布单位"), queryset=Organization.objects.none())
    category = forms.ModelChoiceField(label=_("栏目"), queryset=Category.objects.all(), required=False)
    title = forms.CharField(label=_("标题"), max_length=120)
    body = forms.CharField(
        label=_("正文"),
        widget=forms.Textarea(attrs={"rows": 12}),
        help_text=_("可用段落、加粗、列表、小标题、引用和 http(s) 链接；其他标记会被去除。"),
    )
    cover = forms.ImageField(label=_("封面图（选填）"), required=False)

    def __init__(self, *args: Any, orgs: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organization"].queryset = orgs  # type: ignore[attr-defined]


class DisclosureForm(forms.Form):
    village = forms.ModelChoiceField(label=_("村（社区）"), queryset=Organization.objects.none())
    domain = forms.ChoiceField(label=_("公开类别"), choices=DisclosureDomain.choices)
    category = forms.ChoiceField(label=_("事项类型"), choices=DisclosureCategory.choices)
    title = forms.CharField(label=_("标题"), max_length=120)
    body = forms.CharField(label=_("内容"), widget=forms.Textarea(attrs={"rows": 6}))
    period_start = forms.DateField(label=_("所属期起（重大事项填发生日期）"), widget=forms.DateInput(attrs={"type": "date"}))
    period_end = forms.DateField(label=_("所属期止"), widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args: Any, villages: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["village"].queryset = villages  # type: ignore[attr-defined]


def add_errors(form: forms.Form, exc: Any) -> None:
    if hasattr(exc, "error_dict"):
        for name, errors in exc.error_dict.items():
            for error in errors:
                form.add_error(name if name in form.fields else None, error)
    else:
        for message in exc.messages:
            form.add_error(None, message)

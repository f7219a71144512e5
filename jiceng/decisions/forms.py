"""Forms of the 四议两公开 pages. They parse input; the procedure's rules live in services.py.

Choices are limited to what the actor may use: their own villages, their village's current matter
catalogue, the bodies of the step being recorded, and the roster the registry holds for that body.
"""

from collections.abc import Sequence
from datetime import date
from typing import TYPE_CHECKING, Any

from django import forms
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.utils.dateparse import parse_date
from django.utils.translation import gettext_lazy as _

from jiceng.accounts.models import User
from jiceng.decisions import files, roster, selectors, services
from jiceng.decisions.models import Decision, Level, MatterCategory, MatterGroup, MeetingFile, NoticeKind
from jiceng.decisions.workflow import Step
from jiceng.orgs.models import Organization
from jiceng.rules.engine import Counts
from jiceng.rules.models import Body

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

FIELD_TEMPLATE = "web/_partials/field.html"
# Bodies counted by households as well as heads (组织法第二十二条、第二十八条).
HOUSEHOLD_BODIES = frozenset({Body.VILLAGERS_ASSEMBLY, Body.GROUP_MEETING})


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs, format="%Y-%m-%d")


def _date(label: "StrOrPromise", required: bool = True) -> forms.DateField:
    return forms.DateField(label=label, required=required, widget=DateInput())


def _count(label: "StrOrPromise", required: bool = False) -> forms.IntegerField:
    return forms.IntegerField(label=label, min_value=0, required=required, widget=forms.NumberInput(attrs={"inputmode": "numeric"}))


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input, each checked with files.check_upload (type, content, size)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": files.ACCEPT}))
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[UploadedFile]:
        uploads = [d for d in (data if isinstance(data, list | tuple) else [data]) if d]
        if not uploads:
            if self.required:
                raise ValidationError(_("请选择文件。"))
            return []
        cleaned = [super(MultipleFileField, self).clean(upload, initial) for upload in uploads]
        errors = []
        for upload in cleaned:
            try:
                files.check_upload(upload)
            except ValidationError as exc:
                errors.extend(exc.messages)
        if errors:
            raise ValidationError(errors)
        return cleaned


class ServiceForm(forms.Form):
    """Pico-friendly field markup, and a service's ValidationError put on the field it names."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.template_name = FIELD_TEMPLATE  # type: ignore[attr-defined]  # Django 5.0 attribute, missing from the stubs

    def add_service_error(self, exc: ValidationError) -> None:
        if hasattr(exc, "error_dict"):
            for field, errors in exc.error_dict.items():
                self.add_error(field if field in self.fields else None, errors)
        else:
            self.add_error(None, exc)


# ---- a new decision -----------------------------------------------------------------------


def category_label(c: MatterCategory) -> str:
    parts = [str(MatterGroup(c.group).label)]
    if c.amount_threshold is not None:
        parts.append(f"{c.amount_threshold:,.0f} 元以上")
    if c.needs_town_review:
        parts.append("须镇街预审")
    return f"{c.name}（{'，'.join(parts)}）"


class DecisionForm(ServiceForm):
    village = forms.ModelChoiceField(
        label=_("村（社区）"),
        queryset=Organization.objects.none(),
        error_messages={"invalid_choice": _("只能在您任职的村（社区）登记事项。")},
    )
    title = forms.CharField(label=_("事项名称"), max_length=200)
    description = forms.CharField(label=_("事项内容"), required=False, widget=forms.Textarea(attrs={"rows": 4}))
    amount = forms.DecimalField(label=_("涉及金额（元）"), max_digits=14, decimal_places=2, min_value=0, required=False)
    level = forms.ChoiceField(label=_("层级"), choices=Level.choices, initial=Level.VILLAGE)
    group_name = forms.CharField(label=_("村民小组"), max_length=50, required=False, help_text=_("村民小组事项（村组联议五步法）须填写"))
    category = forms.ChoiceField(
        label=_("事项清单中的事项"),
        required=False,
        help_text=_("按本村现行事项清单归类；不在清单内的作为一般事项办理，仍须公开。"),
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        villages = list(selectors.villages_for_user(user, "decision.change"))
        field = self.fields["village"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = selectors.villages_for_user(user, "decision.change")
        if len(villages) == 1:
            field.initial = villages[0].pk
            field.empty_label = None
        self.categories: dict[str, MatterCategory] = {}
        groups: list[tuple[str, list[tuple[str, str]]]] = []
        for village in villages:
            catalogue = services.current_catalogue(village)
            if catalogue is None:
                continue
            options = []
            for c in catalogue.categories.order_by("group", "pk"):
                self.categories[str(c.pk)] = c
                options.append((str(c.pk), category_label(c)))
            groups.append((f"{village.name} 事项清单 第{catalogue.version}版", options))
        choices: list[Any] = [("", "不在清单内（一般事项）")]
        choices += groups if len(groups) > 1 else [option for _name, options in groups for option in options]
        self.fields["category"].choices = choices  # type: ignore[attr-defined]
        self.has_catalogue = bool(groups)

    def clean_category(self) -> MatterCategory | None:
        value = self.cleaned_data["category"]
        return self.categories[value] if value else None

    def service_kwargs(self) -> dict[str, Any]:
        d = self.cleaned_data
        return {
            "village": d["village"],
            "title": d["title"],
            "description": d["description"],
            "amount": d["amount"],
            "category": d["category"],
            "level": d["level"],
            "group_name": d["group_name"] if d["level"] == Level.GROUP else "",
        }


# ---- a meeting of one step ----------------------------------------------------------------


class MeetingForm(ServiceForm):
    """One step's meeting. For bodies the registry knows, attendance is ticked on the snapshotted
    roster (应到 = its size); the others are counted by hand."""

    body = forms.ChoiceField(label=_("会议"))
    held_on = _date(_("会议日期"))
    place = forms.CharField(label=_("地点"), max_length=100)
    town_staff_present = forms.CharField(label=_("列席镇街干部（姓名、职务）"), max_length=200, required=False)
    attendees = forms.TypedMultipleChoiceField(label=_("实到人员（勾选）"), coerce=int, required=False, widget=forms.CheckboxSelectMultiple)
    entitled = _count(_("应到人数"), required=True)
    present = _count(_("实到人数"), required=True)
    households = _count(_("总户数"), required=True)
    households_present = _count(_("到会户代表数"), required=True)
    votes_for = _count(_("赞成"), required=True)
    votes_against = _count(_("反对"))
    votes_abstain = _count(_("弃权"))
    minutes = forms.CharField(label=_("会议记录"), widget=forms.Textarea(attrs={"rows": 5}))
    minutes_scans = MultipleFileField(label=_("签字会议记录扫描件"), required=False, help_text=_("PDF、JPG 或 PNG"))
    photos = MultipleFileField(label=_("会议照片"), required=False, help_text=_("PDF、JPG 或 PNG"))

    def __init__(
        self,
        *args: Any,
        decision: Decision,
        step: Step,
        today: date,
        body: str = "",
        held_on: str = "",
        reload_url: str = "",
        **kwargs: Any,
    ) -> None:
        kwargs.setdefault("initial", {"held_on": held_on or today, "votes_against": 0, "votes_abstain": 0})
        super().__init__(*args, **kwargs)
        self.decision, self.step = decision, step
        self.fields["body"].choices = [(b, Body(b).label) for b in step.bodies]  # type: ignore[attr-defined]
        raw_body = self.data.get("body") if self.is_bound else body
        self.meeting_body: str = raw_body if raw_body in step.bodies else step.bodies[0]
        self.fields["body"].initial = self.meeting_body
        raw_date = self.data.get("held_on") if self.is_bound else held_on
        try:
            self.meeting_date: date = parse_date(raw_date or "") or today
        except ValueError:
            self.meeting_date = today
        if reload_url:
            # The roster depends on the body and the date: changing either reloads the attendance part.
            # "consume" keeps the change from also firing the live check of the enclosing block.
            for name, other in (("body", "held_on"), ("held_on", "body")):
                self.fields[name].widget.attrs.update(
                    {
                        "hx-get": reload_url,
                        "hx-trigger": "change consume",
                        "hx-target": "#attendance",
                        "hx-swap": "outerHTML",
                        "hx-include": f"[name={other}]",
                    }
                )
        self.roster = roster.snapshot(self.meeting_body, decision.village, self.meeting_date)
        if self.roster is not None:
            self.fields["attendees"].choices = [(p["id"], p["name"]) for p in self.roster]  # type: ignore[attr-defined]
            for name in ("entitled", "present", "households", "households_present"):
                del self.fields[name]
        else:
            del self.fields["attendees"]
            if self.meeting_body not in HOUSEHOLD_BODIES:
                del self.fields["households"], self.fields["households_present"]

    def counted_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in ("entitled", "present", "households", "households_present") if name in self.fields]

    def vote_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in ("votes_for", "votes_against", "votes_abstain")]

    def _number(self, name: str) -> int:
        try:
            return max(0, int(self.data.get(name) or 0))
        except (TypeError, ValueError):
            return 0

    def live_counts(self) -> tuple[Counts, int, int]:
        """The counts as typed so far, read leniently, for the live verdict (nothing is saved)."""
        if self.roster is not None:
            known = {p["id"] for p in self.roster}
            ticked = {int(v) for v in self.data.getlist("attendees") if v.isdigit()} & known  # type: ignore[attr-defined]  # a QueryDict
            entitled, present = len(self.roster), len(ticked)
        else:
            entitled, present = self._number("entitled"), self._number("present")
        counts = Counts(
            entitled=entitled,
            present=present,
            votes_for=self._number("votes_for"),
            households=self._number("households"),
            households_present=self._number("households_present"),
        )
        return counts, self._number("votes_against"), self._number("votes_abstain")

    def service_kwargs(self) -> dict[str, Any]:
        d = self.cleaned_data
        kwargs: dict[str, Any] = {
            "step": self.step.action,
            "body": self.meeting_body,
            "held_on": d["held_on"],
            "place": d["place"],
            "minutes": d["minutes"],
            "town_staff_present": d["town_staff_present"],
            "votes_for": d["votes_for"],
            "votes_against": d["votes_against"] or 0,
            "votes_abstain": d["votes_abstain"] or 0,
        }
        if self.roster is not None:
            kwargs |= {"attendees": d["attendees"], "present": len(d["attendees"])}
        else:
            kwargs |= {"entitled": d["entitled"], "present": d["present"]}
            kwargs |= {"households": d.get("households") or 0, "households_present": d.get("households_present") or 0}
        kwargs["files"] = [(MeetingFile.Kind.SIGNED_MINUTES, f) for f in d["minutes_scans"]] + [
            (MeetingFile.Kind.PHOTO, f) for f in d["photos"]
        ]
        return kwargs


class MeetingFilesForm(ServiceForm):
    kind = forms.ChoiceField(label=_("类型"), choices=MeetingFile.Kind.choices)
    uploads = MultipleFileField(label=_("文件"), help_text=_("PDF、JPG 或 PNG"))


# ---- disclosure, objections, progress -----------------------------------------------------


class NoticeForm(ServiceForm):
    title = forms.CharField(label=_("公告标题"), max_length=200)
    body = forms.CharField(label=_("公开内容"), widget=forms.Textarea(attrs={"rows": 8}))
    published_on = _date(_("张贴公开日期"))
    notice_days = forms.IntegerField(label=_("公开天数"), min_value=1, max_value=365)


def notice_initial(decision: Decision, kind: str, today: date) -> dict[str, Any]:
    """A draft notice from the record: the resolving meeting's counts for a resolution, the last
    progress entry for a result. The clerk edits it before publishing."""
    days = services.policy_for(decision.village).notice_min_days
    amount = f"，涉及金额 {decision.amount:,.2f} 元" if decision.amount is not None else ""
    if kind == NoticeKind.RESOLUTION:
        meeting = decision.meetings.order_by("-held_on", "-pk").first()
        body = f"事项：{decision.title}{amount}。\n{decision.description}".strip()
        if meeting is not None:
            body += (
                f"\n{meeting.held_on:%Y年%m月%d日}召开{meeting.get_body_display()}，应到 {meeting.entitled} 人，实到 {meeting.present} 人，"
                f"赞成 {meeting.votes_for} 票，反对 {meeting.votes_against} 票，弃权 {meeting.votes_abstain} 票，形成决议。"
            )
        body += f"\n公开期 {days} 天。如有异议，请向村务监督委员会反映。"
        return {"title": f"关于“{decision.title}”的决议公开", "body": body, "published_on": today, "notice_days": days}
    latest = decision.progress.order_by("-on", "-pk").first()
    body = f"事项：{decision.title}{amount}。"
    if latest is not None:
        body += f"\n截至{latest.on:%Y年%m月%d日}，完成进度 {latest.percent}%：{latest.text}"
    body += f"\n公开期 {days} 天。如有异议，请向村务监督委员会反映。"
    return {"title": f"关于“{decision.title}”的实施结果公开", "body": body, "published_on": today, "notice_days": days}


class ProgressForm(ServiceForm):
    on = _date(_("日期"))
    percent = forms.IntegerField(label=_("完成进度（%）"), min_value=0, max_value=100)
    text = forms.CharField(label=_("进展情况"), widget=forms.Textarea(attrs={"rows": 4}))
    photo = forms.FileField(label=_("照片"), required=False, widget=forms.ClearableFileInput(attrs={"accept": files.ACCEPT}))

    def clean_photo(self) -> UploadedFile | None:
        photo: UploadedFile | None = self.cleaned_data.get("photo")
        if photo:
            files.check_upload(photo)
        return photo


class ObjectionForm(ServiceForm):
    text = forms.CharField(label=_("异议内容"), widget=forms.Textarea(attrs={"rows": 3}))
    notice = forms.ChoiceField(label=_("针对的公告"), required=False)

    def __init__(self, *args: Any, notices: Sequence[Any] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.notices = {str(n.pk): n for n in notices}
        self.fields["notice"].choices = [("", "（不针对具体公告）")] + [(str(n.pk), n.title) for n in notices]  # type: ignore[attr-defined]

    def clean_notice(self) -> Any:
        value = self.cleaned_data["notice"]
        return self.notices[value] if value else None


# ---- the matter catalogue -----------------------------------------------------------------


class CategoryForm(ServiceForm):
    name = forms.CharField(label=_("事项"), max_length=100)
    group = forms.ChoiceField(label=_("类别"), choices=MatterGroup.choices)
    amount_threshold = forms.DecimalField(
        label=_("金额门槛（元，以上）"),
        max_digits=14,
        decimal_places=2,
        min_value=0,
        required=False,
        help_text=_("留空表示不论金额都须经“四议两公开”。"),
    )
    needs_town_review = forms.BooleanField(label=_("须镇街预审"), required=False)
    basis = forms.CharField(label=_("依据"), max_length=200, required=False)


class ApproveForm(ServiceForm):
    approved_on = _date(_("表决通过日期"))
    approved_by = forms.CharField(label=_("表决通过的会议"), max_length=100, help_text=_("如：2026年第二次村民代表会议"))

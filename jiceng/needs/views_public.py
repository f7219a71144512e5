"""Public pages of the needs loop, without an account: the needs board of a community, the need
form (phone checked by a one-time code), and the tracking page where the resident follows the
need, confirms or disputes the service and rates it.

Nothing personal is shown here beyond the masked phone on the tracking page (domain.md §9.1).
"""

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_safe

from jiceng.lib import throttle
from jiceng.needs import forms, selectors, services
from jiceng.needs.models import NeedStatus

GET_POST = require_http_methods(["GET", "POST"])
# Per client address, per minute: form posts (sending codes, submitting) and tracking look-ups.
FORM_POSTS_PER_MINUTE = 10
LOOKUPS_PER_MINUTE = 30


def _throttled(request: HttpRequest) -> HttpResponse:
    response = render(request, "portal/throttled.html", status=429)
    response["Retry-After"] = "60"
    return response


def _not_found(request: HttpRequest) -> HttpResponse:
    return render(request, "portal/not_found.html", status=404)


def _add_errors(form: forms.Form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for name, errors in exc.error_dict.items():
            for error in errors:
                form.add_error(name if name in form.fields else None, error)
    else:
        for message in exc.messages:
            form.add_error(None, message)


@require_safe
def board(request: HttpRequest, code: str) -> HttpResponse:
    community = selectors.public_community(code)
    if community is None:
        return _not_found(request)
    today = timezone.localdate()
    return render(request, "needs/public_board.html", {"community": community, "board": selectors.board(community, today), "today": today})


@GET_POST
def need_new(request: HttpRequest, code: str) -> HttpResponse:
    community = selectors.public_community(code)
    if community is None:
        return _not_found(request)
    sent = False
    if request.method == "POST":
        if not throttle.allow(request, "need-form", FORM_POSTS_PER_MINUTE):
            return _throttled(request)
        form = forms.PublicNeedForm(request.POST, request.FILES, community=community)
        if request.POST.get("action") == "send_code":
            # Only the phone is checked now; the rest of the form keeps what was typed, without errors.
            kept = forms.PublicNeedForm(initial=request.POST.dict(), community=community)
            try:
                services.send_submit_code(community=community, phone=request.POST.get("phone", ""))
            except ValidationError as exc:
                return render(
                    request, "needs/public_form.html", {"community": community, "form": kept, "code_error": " ".join(exc.messages)}
                )
            return render(request, "needs/public_form.html", {"community": community, "form": kept, "sent": True})
        if form.is_valid():
            try:
                need = services.need_submit(
                    community=community,
                    data=form.need_input(),
                    code=form.cleaned_data["code"],
                    photos=form.cleaned_data["photos"],
                    ip=throttle.client_address(request),
                )
            except ValidationError as exc:
                _add_errors(form, exc)
            else:
                request.session["need_new_code"] = need.tracking_code
                return redirect("needs_public:track", code=need.tracking_code)
    else:
        form = forms.PublicNeedForm(community=community)
    return render(request, "needs/public_form.html", {"community": community, "form": form, "sent": sent})


@require_safe
def track_form(request: HttpRequest) -> HttpResponse:
    typed = request.GET.get("code")
    if typed:
        code = services.normalize_tracking_code(typed)
        if code:
            return redirect("needs_public:track", code=code)
    return render(request, "needs/public_track_form.html", {"typed": typed})


@GET_POST
def track(request: HttpRequest, code: str) -> HttpResponse:
    if not throttle.allow(request, "need-track", LOOKUPS_PER_MINUTE):
        return _throttled(request)
    need = services.find_by_tracking_code(code)
    if need is None:
        return render(request, "needs/public_track_form.html", {"typed": code[:20], "not_found": True}, status=404)
    confirm_form = forms.ConfirmForm(prefix="c")
    dispute_form = forms.DisputeForm(prefix="d")
    notice = ""
    if request.method == "POST":
        if not throttle.allow(request, "need-form", FORM_POSTS_PER_MINUTE):
            return _throttled(request)
        action = request.POST.get("action")
        try:
            if action == "send_code":
                services.send_confirm_code(need=need)
                notice = "验证码已发送到 " + need.phone_masked
            elif action == "confirm":
                confirm_form = forms.ConfirmForm(request.POST, prefix="c")
                if confirm_form.is_valid():
                    d = confirm_form.cleaned_data
                    services.need_confirm(need=need, code=d["code"], rating=d["rating"], comment=d["comment"])
                    return redirect("needs_public:track", code=need.tracking_code)
            elif action == "dispute":
                dispute_form = forms.DisputeForm(request.POST, prefix="d")
                if dispute_form.is_valid():
                    d = dispute_form.cleaned_data
                    services.need_dispute(need=need, code=d["code"], reason=d["reason"])
                    return redirect("needs_public:track", code=need.tracking_code)
        except ValidationError as exc:
            _add_errors(dispute_form if action == "dispute" else confirm_form, exc)
    claims = list(need.claims.all())
    context = {
        "need": need,
        "just_filed": request.session.pop("need_new_code", None) == need.tracking_code,
        "taken": sum(1 for c in claims if c.status in ("active", "started", "fulfilled")),
        "fulfilled": [c for c in claims if c.status == "fulfilled"],
        "confirm_form": confirm_form,
        "dispute_form": dispute_form,
        "notice": notice,
        "can_rate": need.status == NeedStatus.DELIVERED,
        "silence_days": services.silence_days(),
    }
    return render(request, "needs/public_track.html", context)

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import F
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from jiceng.accounts import tokens as api_tokens
from jiceng.accounts.models import ApiToken, User


class TokenForm(forms.Form):
    name = forms.CharField(
        label=gettext_lazy("名称"),
        max_length=api_tokens.NAME_MAX_LENGTH,
        help_text=gettext_lazy("写明用途，如“小程序”“数据同步脚本”。"),
        error_messages={"required": gettext_lazy("请填写令牌名称，便于日后辨认。")},
    )


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def tokens(request: HttpRequest) -> HttpResponse:
    """List the user's own API tokens and create one; a new token is shown on this response only."""
    plain = None
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            plain = api_tokens.token_create(user=_user(request), name=form.cleaned_data["name"])[1]
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            form = TokenForm()
    own = ApiToken.objects.filter(user=_user(request)).order_by(F("revoked_at").asc(nulls_first=True), "-created_at")
    return render(request, "accounts/tokens.html", {"form": form, "tokens": own, "plain_token": plain})


@login_required
@require_POST
def token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    token = get_object_or_404(ApiToken, pk=pk, user=_user(request))
    try:
        api_tokens.token_revoke(actor=_user(request), token=token)
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    else:
        messages.success(request, _("令牌“%(name)s”已撤销，使用它的程序将无法再访问接口。") % {"name": token.name})
    return redirect("accounts:tokens")

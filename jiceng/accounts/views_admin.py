"""Account administration pages (三权分立) and the password change page every user has.

Who sees which button is decided by admin_access.MATRIX; each POST checks again in the view
(403 for a role that may not act at all, 404 for an account or organization out of scope) and
once more in the service.
"""

from collections.abc import Callable
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import PasswordChangeForm
from django.contrib.auth.password_validation import password_validators_help_texts
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Prefetch, Q
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from jiceng.accounts import services
from jiceng.accounts.access import can, get_for_user, scope
from jiceng.accounts.admin_access import ADMIN_ROLES, accounts_in_scope, get_account_for_user, is_root_holder, roles
from jiceng.accounts.models import Role, RoleGrant, User
from jiceng.lib.http import AuthedRequest
from jiceng.orgs.models import Organization

PASSWORD_MISMATCH = gettext_lazy("两次输入的密码不一致。")


def password_help_text() -> str:
    """The password policy (AUTH_PASSWORD_VALIDATORS) as one line of plain text."""
    return "；".join(text.rstrip("。.") for text in password_validators_help_texts()) + "。"


class _NewPasswordForm(forms.Form):
    password1 = forms.CharField(label=gettext_lazy("初始密码"), strip=False, widget=forms.PasswordInput(render_value=False))
    password2 = forms.CharField(label=gettext_lazy("再次输入密码"), strip=False, widget=forms.PasswordInput(render_value=False))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["password1"].help_text = password_help_text()

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("password1") and data.get("password2") and data["password1"] != data["password2"]:
            self.add_error("password2", PASSWORD_MISMATCH)
        return data


class AccountCreateForm(_NewPasswordForm):
    username = forms.CharField(
        label=gettext_lazy("用户名"), max_length=services.USERNAME_MAX_LENGTH, help_text=gettext_lazy("登录用，字母、数字和 @ . + - _")
    )
    display_name = forms.CharField(label=gettext_lazy("姓名"), max_length=services.DISPLAY_NAME_MAX_LENGTH)
    field_order = ["username", "display_name", "password1", "password2"]


class PasswordResetForm(_NewPasswordForm):
    pass


class GrantForm(forms.Form):
    organization = forms.IntegerField(label=gettext_lazy("组织"), error_messages={"required": gettext_lazy("请选择组织。")})
    role = forms.ChoiceField(label=gettext_lazy("角色"), choices=Role.choices, error_messages={"required": gettext_lazy("请选择角色。")})


def _form_errors(form: forms.Form) -> str:
    return "；".join(str(e) for errors in form.errors.values() for e in errors)


def _require_any(request: AuthedRequest, action: str) -> None:
    if not can(request.user, roles(action), None):
        raise PermissionDenied


# ---- pages -------------------------------------------------------------------------------------


@login_required
@require_GET
def account_list(request: AuthedRequest) -> HttpResponse:
    user = request.user
    _require_any(request, "account.view")
    q = request.GET.get("q", "").strip()
    visible_grants = scope(RoleGrant.objects.select_related("organization"), user, roles("account.view"), "organization__path")
    accounts = accounts_in_scope(user).prefetch_related(
        Prefetch("grants", queryset=visible_grants.order_by("organization__path", "role"), to_attr="visible_grants")
    )
    if q:
        accounts = accounts.filter(Q(username__icontains=q) | Q(display_name__icontains=q))
    page = Paginator(accounts.order_by("username"), settings.PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "q": q,
        "locked": services.locked_usernames(account.username for account in page),
        "can_create": can(user, roles("account.create"), None),
    }
    return render(request, "accounts/admin_list.html", context)


@never_cache
@sensitive_post_parameters("password1", "password2")
@login_required
@require_http_methods(["GET", "POST"])
def account_create(request: AuthedRequest) -> HttpResponse:
    _require_any(request, "account.create")
    form = AccountCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            account = services.account_create(
                actor=request.user, username=data["username"], display_name=data["display_name"], password=data["password1"]
            )
        except ValidationError as exc:
            form.add_error(None, _password_errors_as("password1", exc))
        else:
            messages.success(
                request, _("账号“%(name)s”已创建。请将初始密码当面或经安全渠道交给本人，角色由安全管理员授予。") % {"name": account}
            )
            return redirect("accounts:admin_detail", account.pk)
    return render(request, "accounts/admin_create.html", {"form": form})


def _password_errors_as(field: str, exc: ValidationError) -> ValidationError:
    """The services call the password field "password"; the forms call it password1."""
    if hasattr(exc, "error_dict"):
        return ValidationError({field if key == "password" else key: value for key, value in exc.error_dict.items()})
    return exc


@never_cache
@login_required
@require_GET
def account_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    user = request.user
    _require_any(request, "account.view")
    account = get_account_for_user(user, pk)
    all_grants = RoleGrant.objects.filter(user=account).select_related("organization").order_by("organization__path", "role")
    grants = list(scope(all_grants, user, roles("account.view"), "organization__path"))
    admin_roles_held = all_grants.filter(role__in=ADMIN_ROLES).exists()
    can_grant = can(user, roles("grant.add"), None) and account.pk != user.pk
    role_choices = [(value, label) for value, label in Role.choices if value not in ADMIN_ROLES or is_root_holder(user, "grant.add")]
    context = {
        "account": account,
        "grants": [(g, account.pk != user.pk and can(user, roles("grant.revoke"), g.organization)) for g in grants],
        "hidden_grants": all_grants.count() - len(grants),
        "locked": account.username in services.locked_usernames([account.username]),
        "can_manage": can(user, roles("account.deactivate"), None) and account.pk != user.pk,
        # Administrators' passwords are not reset by the system administrator (三权分立, see services).
        "can_reset": can(user, roles("account.password_reset"), None) and account.pk != user.pk and not admin_roles_held,
        "can_unlock": can(user, roles("account.unlock"), None) and account.pk != user.pk,
        "can_grant": can_grant,
        "grant_orgs": _org_choices(user) if can_grant else [],
        "role_choices": role_choices,
        "reset_form": PasswordResetForm(),
    }
    return render(request, "accounts/admin_detail.html", context)


def _org_choices(user: User) -> list[tuple[int, str]]:
    """Organizations the security administrator may grant on, indented by their depth in the tree."""
    orgs = scope(Organization.objects.all(), user, roles("grant.add"), "path").order_by("path").values_list("pk", "name", "depth")
    return [(pk, "　" * (depth - 1) + name) for pk, name, depth in orgs]


# ---- actions -----------------------------------------------------------------------------------


def _act(request: AuthedRequest, pk: int, action: str, run: Callable[[User], object], done: str) -> HttpResponse:
    """Fetch the account in scope for the action, run the service, report in a flash message."""
    _require_any(request, action)
    account = get_account_for_user(request.user, pk, action)
    try:
        run(account)
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    else:
        messages.success(request, done % {"name": account})
    return redirect("accounts:admin_detail", account.pk)


@login_required
@require_POST
def account_deactivate(request: AuthedRequest, pk: int) -> HttpResponse:
    return _act(
        request,
        pk,
        "account.deactivate",
        lambda account: services.account_deactivate(actor=request.user, account=account),
        _("账号“%(name)s”已停用，无法再登录或调用接口。"),
    )


@login_required
@require_POST
def account_reactivate(request: AuthedRequest, pk: int) -> HttpResponse:
    return _act(
        request,
        pk,
        "account.reactivate",
        lambda account: services.account_reactivate(actor=request.user, account=account),
        _("账号“%(name)s”已重新启用。"),
    )


@login_required
@require_POST
def account_unlock(request: AuthedRequest, pk: int) -> HttpResponse:
    return _act(
        request,
        pk,
        "account.unlock",
        lambda account: services.account_unlock(actor=request.user, account=account),
        _("账号“%(name)s”已解锁，可以重新登录。"),
    )


@sensitive_post_parameters("password1", "password2")
@login_required
@require_POST
def account_password_reset(request: AuthedRequest, pk: int) -> HttpResponse:
    form = PasswordResetForm(request.POST)

    def run(account: User) -> None:
        if not form.is_valid():
            raise ValidationError(_form_errors(form))
        services.account_password_reset(actor=request.user, account=account, password=form.cleaned_data["password1"])

    return _act(request, pk, "account.password_reset", run, _("账号“%(name)s”的密码已重置，请将新密码当面或经安全渠道交给本人。"))


@login_required
@require_POST
def grant_add(request: AuthedRequest, pk: int) -> HttpResponse:
    user = request.user
    _require_any(request, "grant.add")
    account = get_account_for_user(user, pk, "grant.add")
    form = GrantForm(request.POST)
    if not form.is_valid():
        messages.error(request, _form_errors(form))
        return redirect("accounts:admin_detail", account.pk)
    organization = get_for_user(Organization.objects.all(), user, roles("grant.add"), "path", pk=form.cleaned_data["organization"])
    role = form.cleaned_data["role"]
    try:
        services.grant_add(actor=user, account=account, organization=organization, role=role)
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    else:
        messages.success(
            request,
            _("已授予“%(name)s”%(org)s的%(role)s角色。") % {"name": account, "org": organization.name, "role": Role(role).label},
        )
    return redirect("accounts:admin_detail", account.pk)


@login_required
@require_POST
def grant_revoke(request: AuthedRequest, pk: int, grant_pk: int) -> HttpResponse:
    user = request.user
    _require_any(request, "grant.revoke")
    grant = get_for_user(
        RoleGrant.objects.select_related("organization", "user"), user, roles("grant.revoke"), "organization__path", pk=grant_pk, user_id=pk
    )
    try:
        services.grant_revoke(actor=user, grant=grant)
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    else:
        messages.success(
            request,
            _("已撤销“%(name)s”在%(org)s的%(role)s角色。")
            % {"name": grant.user, "org": grant.organization.name, "role": grant.get_role_display()},
        )
    return redirect("accounts:admin_detail", pk)


# ---- every user: their own password --------------------------------------------------------------


@never_cache
@sensitive_post_parameters("old_password", "new_password1", "new_password2")
@login_required
@require_http_methods(["GET", "POST"])
def password_change(request: AuthedRequest) -> HttpResponse:
    form = PasswordChangeForm(request.user, request.POST or None)
    form.fields["new_password1"].help_text = password_help_text()
    if request.method == "POST" and form.is_valid():
        try:
            services.password_change(user=request.user, password=form.cleaned_data["new_password1"])
        except ValidationError as exc:
            form.add_error("new_password1", exc)
        else:
            # The session hash follows the password, so this session stays signed in and every other one ends.
            update_session_auth_hash(request, request.user)
            return redirect("password_change_done")
    return render(request, "registration/password_change_form.html", {"form": form})


@login_required
@require_GET
def password_change_done(request: AuthedRequest) -> HttpResponse:
    return render(request, "registration/password_change_done.html")

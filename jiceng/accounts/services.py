"""Account administration under 三权分立 (GB/T 22239-2019 level 3, 访问控制; domain.md §9.3).

The system administrator creates, deactivates and reactivates accounts and resets passwords; the
security administrator grants and revokes roles and unlocks locked accounts. Every write checks the
matrix (admin_access.MATRIX) and the scope, runs in one transaction and writes its audit event.
Passwords never reach the ledger: events name the account, not the secret.
"""

from collections.abc import Iterable

from axes.helpers import get_cool_off
from axes.models import AccessAttempt
from axes.utils import reset as axes_reset
from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone

from jiceng.accounts.access import allowed_paths, can
from jiceng.accounts.admin_access import ADMIN_ROLES, accounts_in_scope, grants_outside_scope, is_root_holder, roles
from jiceng.accounts.models import Role, RoleGrant, User
from jiceng.audit import services as audit
from jiceng.orgs.models import Organization

USERNAME_MAX_LENGTH = 150  # User.username
DISPLAY_NAME_MAX_LENGTH = 50  # User.display_name

SEPARATION_OF_DUTIES = "根据等保三权分立要求，同一账号不能同时担任系统管理员、安全管理员、审计管理员中的两种"


def _require(actor: User, action: str, org: Organization | None = None) -> None:
    if not can(actor, roles(action), org):
        raise PermissionDenied("您无权进行此操作。")


def _acting_org(actor: User, action: str) -> Organization | None:
    """The highest organization on which the actor holds a role allowing the action (for the ledger's scope)."""
    paths = allowed_paths(actor, roles(action))
    return Organization.objects.filter(path=paths[0]).first() if paths else None


def _require_account(actor: User, account: User, action: str) -> None:
    """The account is in the actor's scope and none of its grants lie outside it; never the actor's own."""
    _require(actor, action)
    if not accounts_in_scope(actor, action).filter(pk=account.pk).exists():
        raise PermissionDenied("该账号不在您的管理范围内。")
    if account.pk == actor.pk:
        raise ValidationError("不能对自己的账号进行此操作，须由其他管理员办理。")
    if grants_outside_scope(actor, account, action):
        raise ValidationError("该账号在您的管理范围之外还有授权，须由上级管理员办理。")


def _admin_roles_of(account: User) -> set[str]:
    return set(RoleGrant.objects.filter(user=account, role__in=ADMIN_ROLES).values_list("role", flat=True))


def _role_labels(role_values: Iterable[str]) -> str:
    return "、".join(str(Role(r).label) for r in sorted(role_values))


def _check_keeps_root_admins(grants: Iterable[RoleGrant], leaving: User | None = None) -> None:
    """Refuse to remove the last active holder of an administrator role at a root of the tree.

    Without a district-level security administrator nobody could grant roles any more, without a
    system administrator nobody could create accounts, without an auditor nobody could read the
    whole ledger: only the operator's manage.py could recover. `grants` are the grants being
    removed (one revoked grant, or every grant of an account being deactivated).
    """
    for grant in grants:
        if grant.role not in ADMIN_ROLES or grant.organization.depth != 1:
            continue
        holders = RoleGrant.objects.filter(role=grant.role, organization_id=grant.organization_id)
        # Lock the holders' grants so two administrators removing the last two holders at once serialize.
        list(holders.select_for_update().values_list("pk", flat=True))
        others = holders.filter(user__is_active=True).exclude(pk=grant.pk)
        if leaving is not None:
            others = others.exclude(user=leaving)
        if not others.exists():
            raise ValidationError(
                f"“{grant.organization.name}”只剩这一名有效的{Role(grant.role).label}，移除后将无人能够履行该职责；请先为他人授予该角色。"
            )


# ---- the system administrator: accounts ------------------------------------------------------


def account_create(*, actor: User, username: str, display_name: str, password: str) -> User:
    """Create an account without any role; the security administrator grants roles separately."""
    _require(actor, "account.create")
    username, display_name = username.strip(), display_name.strip()
    errors: dict[str, list[str]] = {}
    if not username:
        errors["username"] = ["请填写用户名。"]
    elif len(username) > USERNAME_MAX_LENGTH:
        errors["username"] = [f"用户名不能超过 {USERNAME_MAX_LENGTH} 个字符。"]
    else:
        try:
            User.username_validator(username)
        except ValidationError as exc:
            errors["username"] = exc.messages
        else:
            if User.objects.filter(username__iexact=username).exists():
                errors["username"] = ["该用户名已被使用。"]
    if not display_name:
        errors["display_name"] = ["请填写姓名。"]
    elif len(display_name) > DISPLAY_NAME_MAX_LENGTH:
        errors["display_name"] = [f"姓名不能超过 {DISPLAY_NAME_MAX_LENGTH} 个字符。"]
    try:
        validate_password(password, User(username=username, display_name=display_name))
    except ValidationError as exc:
        errors["password"] = exc.messages
    if errors:
        raise ValidationError(errors)
    try:
        with transaction.atomic():
            account = User.objects.create_user(username=username, password=password, display_name=display_name, must_change_password=True)
            audit.record(
                actor=actor,
                action="account.create",
                obj=account,
                org=_acting_org(actor, "account.create"),
                changes={"username": username, "display_name": display_name},
            )
    except IntegrityError as exc:  # a concurrent create of the same username won the race
        raise ValidationError({"username": ["该用户名已被使用。"]}) from exc
    return account


def account_deactivate(*, actor: User, account: User) -> User:
    """Stop the account from logging in; its sessions and API tokens stop working on the next request."""
    _require_account(actor, account, "account.deactivate")
    with transaction.atomic():
        account = User.objects.select_for_update().get(pk=account.pk)
        if not account.is_active:
            raise ValidationError("该账号已停用。")
        _check_keeps_root_admins(RoleGrant.objects.filter(user=account).select_related("organization"), leaving=account)
        account.is_active = False
        account.save(update_fields=["is_active"])
        audit.record(
            actor=actor,
            action="account.deactivate",
            obj=account,
            org=_acting_org(actor, "account.deactivate"),
            changes={"username": account.username, "is_active": [True, False]},
        )
    return account


def account_reactivate(*, actor: User, account: User) -> User:
    _require_account(actor, account, "account.reactivate")
    with transaction.atomic():
        account = User.objects.select_for_update().get(pk=account.pk)
        if account.is_active:
            raise ValidationError("该账号已是启用状态。")
        account.is_active = True
        account.save(update_fields=["is_active"])
        audit.record(
            actor=actor,
            action="account.reactivate",
            obj=account,
            org=_acting_org(actor, "account.reactivate"),
            changes={"username": account.username, "is_active": [False, True]},
        )
    return account


def account_password_reset(*, actor: User, account: User, password: str) -> User:
    """Set a new password chosen by the system administrator, who hands it to the user."""
    _require_account(actor, account, "account.password_reset")
    # 三权分立: a system administrator who could set another administrator's password could log in
    # as that administrator and grant roles or read the ledger. Administrators change their own
    # passwords; a forgotten one is reset by the operator (manage.py changepassword).
    if held := _admin_roles_of(account):
        raise ValidationError(
            f"该账号是{_role_labels(held)}。为保证三权分立，系统管理员不能重置管理员账号的密码；"
            "请本人修改密码，遗忘时由运维人员在服务器上重置。"
        )
    try:
        validate_password(password, account)
    except ValidationError as exc:
        raise ValidationError({"password": exc.messages}) from exc
    with transaction.atomic():
        account = User.objects.select_for_update().get(pk=account.pk)
        account.set_password(password)
        account.must_change_password = True
        account.save(update_fields=["password", "must_change_password"])
        audit.record(
            actor=actor,
            action="account.password_reset",
            obj=account,
            org=_acting_org(actor, "account.password_reset"),
            changes={"username": account.username},
        )
    return account


def password_change(*, user: User, password: str) -> User:
    """A user sets their own new password (the old one is checked by the form)."""
    validate_password(password, user)
    with transaction.atomic():
        user.set_password(password)
        user.must_change_password = False
        user.save(update_fields=["password", "must_change_password"])
        audit.record(actor=user, action="account.password_change", obj=user, changes={"username": user.username})
    return user


# ---- the security administrator: roles and lockouts ------------------------------------------


def locked_usernames(usernames: Iterable[str]) -> set[str]:
    """Which of these accounts django-axes currently refuses (failures within the cool-off ≥ the limit)."""
    cool_off = get_cool_off()
    attempts = AccessAttempt.objects.filter(username__in=list(usernames))
    if cool_off is not None:
        attempts = attempts.filter(attempt_time__gte=timezone.now() - cool_off)
    totals = attempts.values("username").annotate(failures=Sum("failures_since_start"))
    return {row["username"] for row in totals.filter(failures__gte=settings.AXES_FAILURE_LIMIT)}


def account_unlock(*, actor: User, account: User) -> int:
    """Lift a django-axes lockout before its cool-off ends; returns the number of failures cleared."""
    _require_account(actor, account, "account.unlock")
    with transaction.atomic():
        account = User.objects.select_for_update().get(pk=account.pk)
        if account.username not in locked_usernames([account.username]):
            raise ValidationError("该账号当前未被锁定。")
        failures = AccessAttempt.objects.filter(username=account.username).aggregate(n=Sum("failures_since_start"))["n"] or 0
        axes_reset(username=account.username)
        audit.record(
            actor=actor,
            action="account.unlock",
            obj=account,
            org=_acting_org(actor, "account.unlock"),
            changes={"username": account.username, "failures": failures},
        )
    return failures


def _check_admin_role_rules(actor: User, role: str, action: str) -> None:
    # The three administrator roles are handed out only from the top of the tree, so a town-level
    # security administrator cannot create administrators for their own area.
    if role in ADMIN_ROLES and not is_root_holder(actor, action):
        raise ValidationError("系统管理员、安全管理员、审计管理员角色只能由区级（顶层）安全管理员授予或撤销。")


def grant_add(*, actor: User, account: User, organization: Organization, role: str) -> RoleGrant:
    if role not in Role.values:
        raise ValidationError({"role": "未知的角色。"})
    _require(actor, "grant.add", organization)
    if not accounts_in_scope(actor, "grant.add").filter(pk=account.pk).exists():
        raise PermissionDenied("该账号不在您的管理范围内。")
    if account.pk == actor.pk:
        raise ValidationError("不能为自己授予角色，须由其他安全管理员办理。")
    _check_admin_role_rules(actor, role, "grant.add")
    with transaction.atomic():
        # Locking the account serializes concurrent grants to it, so the checks below cannot race.
        account = User.objects.select_for_update().get(pk=account.pk)
        if role in ADMIN_ROLES and (held := _admin_roles_of(account) - {role}):
            raise ValidationError(f"{SEPARATION_OF_DUTIES}；该账号已是{_role_labels(held)}。")
        if RoleGrant.objects.filter(user=account, organization=organization, role=role).exists():
            raise ValidationError(f"该账号在“{organization.name}”已有{Role(role).label}角色。")
        grant = RoleGrant.objects.create(user=account, organization=organization, role=role)
        audit.record(
            actor=actor,
            action="grant.add",
            obj=grant,
            org=organization,
            changes={"username": account.username, "role": role, "organization": organization.code},
        )
    return grant


def grant_revoke(*, actor: User, grant: RoleGrant) -> None:
    _require(actor, "grant.revoke", grant.organization)
    if grant.user_id == actor.pk:
        raise ValidationError("不能撤销自己的角色，须由其他安全管理员办理。")
    _check_admin_role_rules(actor, grant.role, "grant.revoke")
    with transaction.atomic():
        locked = RoleGrant.objects.select_for_update().select_related("organization", "user").filter(pk=grant.pk).first()
        if locked is None:
            raise ValidationError("该授权已被撤销。")
        _check_keeps_root_admins([locked])
        # Recorded before the delete, while the grant still has its id.
        audit.record(
            actor=actor,
            action="grant.revoke",
            obj=locked,
            org=locked.organization,
            changes={"username": locked.user.username, "role": locked.role, "organization": locked.organization.code},
        )
        locked.delete()

"""Who may administer accounts: one role × action matrix, tested as a matrix.

三权分立 (GB/T 22239-2019 level 3, 访问控制; domain.md §9.3): the system administrator runs
accounts (create, deactivate, reset a password) but cannot grant roles; the security
administrator grants and revokes roles and unlocks accounts but cannot create accounts or set
passwords; the audit administrator only reads. No business role administers accounts.
"""

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404

from jiceng.accounts.access import allowed_paths, can, scope
from jiceng.accounts.models import Role, RoleGrant, User
from jiceng.orgs.models import Organization

R = Role
# The three administrator roles; one account may hold at most one of them.
ADMIN_ROLES = frozenset({R.SYSTEM_ADMIN, R.SECURITY_ADMIN, R.AUDITOR})

MATRIX: dict[str, frozenset[str]] = {
    "account.view": ADMIN_ROLES,
    "account.create": frozenset({R.SYSTEM_ADMIN}),
    "account.deactivate": frozenset({R.SYSTEM_ADMIN}),
    "account.reactivate": frozenset({R.SYSTEM_ADMIN}),
    "account.password_reset": frozenset({R.SYSTEM_ADMIN}),
    "account.unlock": frozenset({R.SECURITY_ADMIN}),
    "grant.add": frozenset({R.SECURITY_ADMIN}),
    "grant.revoke": frozenset({R.SECURITY_ADMIN}),
}

ACTIONS = tuple(MATRIX)


def roles(action: str) -> frozenset[str]:
    return MATRIX[action]


# ---- scoped reads of accounts --------------------------------------------------------------


def accounts_in_scope(actor: User, action: str = "account.view") -> QuerySet[User]:
    """Accounts holding a grant in the actor's part of the tree, plus accounts with no grant yet.

    Superusers (created with manage.py at installation) are never administered from the web.
    """
    if not can(actor, roles(action), None):
        return User.objects.none()
    granted_here = scope(RoleGrant.objects.all(), actor, roles(action), "organization__path").values("user_id")
    no_grant = ~Exists(RoleGrant.objects.filter(user=OuterRef("pk")))
    return User.objects.filter(is_superuser=False).filter(Q(pk__in=granted_here) | no_grant)


def get_account_for_user(actor: User, pk: int, action: str = "account.view") -> User:
    """One account in scope; "not yours" and "does not exist" give the same 404."""
    account = accounts_in_scope(actor, action).filter(pk=pk).first()
    if account is None:
        raise Http404
    return account


def grants_outside_scope(actor: User, account: User, action: str) -> int:
    """How many of the account's grants lie outside the actor's scope for this action.

    Acting on an account (a new password, deactivation, unlocking) affects every grant it holds,
    so a town administrator must not reach an account that also holds a district-level grant.
    """
    paths = allowed_paths(actor, roles(action))
    return sum(
        1
        for org_path in RoleGrant.objects.filter(user=account).values_list("organization__path", flat=True)
        if not any(org_path.startswith(p) for p in paths)
    )


def is_root_holder(actor: User, action: str) -> bool:
    """Does the actor hold a role allowing the action at a root of the tree (the district)?"""
    return any(len(p) == Organization.steplen for p in allowed_paths(actor, roles(action)))

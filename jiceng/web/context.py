from typing import Any

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from jiceng.accounts.access import all_grants, roles_of, user_grants
from jiceng.accounts.admin_access import roles as account_roles
from jiceng.accounts.models import Role
from jiceng.decisions.access import roles as decision_roles

STAFF = frozenset({Role.DISTRICT_ADMIN, Role.TOWN_STAFF, Role.VILLAGE_STAFF, Role.SUPERVISION})


def workspace(request: HttpRequest) -> dict[str, Any]:
    """Navigation and the organization switcher for the signed-in user.

    Lazy: a fragment or page that shows neither costs nothing, and the grants come from the request's
    one grant query (accounts.access.all_grants), which scoping has usually made already.
    """
    user = request.user
    if not user.is_authenticated:
        return {}
    return {
        "all_grants": SimpleLazyObject(lambda: all_grants(user)),
        "active_grant_id": getattr(user, "active_grant_id", None),
        "current_grants": SimpleLazyObject(lambda: user_grants(user)),
        "nav": SimpleLazyObject(lambda: _nav(roles_of(user))),  # type: ignore[arg-type]
    }


def _nav(roles: set[str]) -> dict[str, bool]:
    staff = bool(roles & STAFF)
    return {
        "orgs": bool(roles - {Role.AUDITOR, Role.SYSTEM_ADMIN, Role.SECURITY_ADMIN}),
        "people": staff or Role.GRID_WORKER in roles,
        "members": staff,
        "imports": bool(roles & {Role.DISTRICT_ADMIN, Role.TOWN_STAFF, Role.VILLAGE_STAFF}),
        "decisions": bool(roles & decision_roles("decision.view")),
        "grid": bool(roles & {Role.DISTRICT_ADMIN, Role.TOWN_STAFF, Role.VILLAGE_STAFF, Role.GRID_WORKER}),
        "needs": bool(
            roles & {Role.DISTRICT_ADMIN, Role.TOWN_STAFF, Role.VILLAGE_STAFF, Role.GRID_WORKER, Role.PARTY_MEMBER, Role.UNIT_LIAISON}
        ),
        "dashboard": bool(roles & {Role.DISTRICT_ADMIN, Role.TOWN_STAFF, Role.VILLAGE_STAFF}),
        "portal": bool(roles & {Role.DISTRICT_ADMIN, Role.TOWN_STAFF, Role.VILLAGE_STAFF}),
        "audit": Role.AUDITOR in roles,
        # 三权分立: only the system, security and audit administrators see account administration.
        "accounts": bool(roles & account_roles("account.view")),
        "tokens": True,
    }

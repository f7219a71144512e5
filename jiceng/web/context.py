from typing import Any

from django.http import HttpRequest

from jiceng.accounts.access import roles_of, user_grants
from jiceng.accounts.admin_access import roles as account_roles
from jiceng.accounts.models import Role, RoleGrant
from jiceng.decisions.access import roles as decision_roles


def workspace(request: HttpRequest) -> dict[str, Any]:
    """Navigation and the organization switcher for the signed-in user."""
    user = request.user
    if not user.is_authenticated:
        return {}
    active = getattr(user, "active_grant_id", None)
    all_grants = list(RoleGrant.objects.filter(user=user).select_related("organization")) if user.is_authenticated else []
    roles = roles_of(user)
    staff = bool(roles & {Role.DISTRICT_ADMIN, Role.TOWN_STAFF, Role.VILLAGE_STAFF, Role.SUPERVISION})
    return {
        "all_grants": all_grants,
        "active_grant_id": active,
        "current_grants": user_grants(user),
        "nav": {
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
        },
    }

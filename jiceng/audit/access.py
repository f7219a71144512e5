"""Who may read and verify the audit ledger: the audit administrator only (三权分立, domain.md §9.3)."""

from jiceng.accounts.access import allowed_paths
from jiceng.accounts.models import Role, User
from jiceng.orgs.models import Organization

MATRIX: dict[str, frozenset[str]] = {
    "audit.view": frozenset({Role.AUDITOR}),
    "audit.verify": frozenset({Role.AUDITOR}),
}


def roles(action: str) -> frozenset[str]:
    return MATRIX[action]


def is_root(user: User, action: str) -> bool:
    """Granted the action at a root of the tree: sees every event, including system-wide ones."""
    return any(len(p) == Organization.steplen for p in allowed_paths(user, roles(action)))


def may_verify(user: User) -> bool:
    # Verifying reads the whole chain, so only an auditor granted at a root of the tree may start it.
    return is_root(user, "audit.verify")

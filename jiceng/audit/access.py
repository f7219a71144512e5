"""Who may read the audit ledger: the audit administrator only (三权分立, domain.md §9.3)."""

from jiceng.accounts.models import Role

MATRIX: dict[str, frozenset[str]] = {
    "audit.view": frozenset({Role.AUDITOR}),
}


def roles(action: str) -> frozenset[str]:
    return MATRIX[action]

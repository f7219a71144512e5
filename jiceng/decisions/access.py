"""Who may do what with village decisions: one role × action matrix, tested as a matrix."""

from jiceng.accounts.models import Role

R = Role

MATRIX: dict[str, frozenset[str]] = {
    "decision.view": frozenset({R.DISTRICT_ADMIN, R.TOWN_STAFF, R.VILLAGE_STAFF, R.SUPERVISION}),
    # The village runs its own procedure: drafts, meetings, notices, progress, answers to objections.
    "decision.change": frozenset({R.VILLAGE_STAFF}),
    # 预审/备案 and overriding a failed verdict belong to the town alone (issue #3).
    "decision.review": frozenset({R.TOWN_STAFF}),
    # Objections are the supervision committee's (组织法第三十二条, domain.md §1.8).
    "decision.object": frozenset({R.SUPERVISION}),
    "catalogue.change": frozenset({R.VILLAGE_STAFF}),
    "catalogue.file": frozenset({R.TOWN_STAFF}),
}

ACTIONS = tuple(MATRIX)


def roles(action: str) -> frozenset[str]:
    return MATRIX[action]

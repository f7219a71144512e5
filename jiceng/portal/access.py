"""Who may do what on the staff side of the portal: one role × action matrix.

Scope applies on top (jiceng.accounts.access): a village's staff act on their village, town
staff on the town and its villages, the district admin on the whole district.
"""

from jiceng.accounts.models import Role

R = Role

MATRIX: dict[str, frozenset[str]] = {
    "news.manage": frozenset({R.DISTRICT_ADMIN, R.TOWN_STAFF, R.VILLAGE_STAFF}),
    "comment.moderate": frozenset({R.DISTRICT_ADMIN, R.TOWN_STAFF, R.VILLAGE_STAFF}),
    "disclosure.manage": frozenset({R.TOWN_STAFF, R.VILLAGE_STAFF}),
    "disclosure.rhythm": frozenset({R.DISTRICT_ADMIN, R.TOWN_STAFF, R.SUPERVISION}),
    "consultation.answer": frozenset({R.DISTRICT_ADMIN, R.TOWN_STAFF, R.VILLAGE_STAFF}),
}

ACTIONS = tuple(MATRIX)
STAFF_ROLES = frozenset().union(*MATRIX.values())


def roles(action: str) -> frozenset[str]:
    return MATRIX[action]

"""Who may do what in the needs app (issue 4): one role × action matrix, tested as a matrix.

Scope still applies on top of the role: a grant covers its organization's subtree
(jiceng.accounts.access). Residents act without an account, through their tracking code and a
one-time code sent to their phone; they are not in this matrix.
"""

from jiceng.accounts.models import Role

R = Role

MATRIX: dict[str, frozenset[str]] = {
    # 点单 on a resident's behalf (grid workers knocking on doors, community staff at the desk).
    "need.submit_for": frozenset({R.GRID_WORKER, R.VILLAGE_STAFF}),
    # 审核 / 建单 / 派单: the community vets; the town may step in.
    "need.vet": frozenset({R.VILLAGE_STAFF, R.TOWN_STAFF}),
    # 接单: members for themselves, liaisons for their unit.
    "need.claim": frozenset({R.PARTY_MEMBER, R.UNIT_LIAISON}),
    "need.view": frozenset({R.DISTRICT_ADMIN, R.TOWN_STAFF, R.VILLAGE_STAFF, R.GRID_WORKER}),
    # 双报到, feedback sheets, points and micro-projects (the other half of issue 4).
    "report.record": frozenset({R.VILLAGE_STAFF}),
    "report.view": frozenset({R.DISTRICT_ADMIN, R.TOWN_STAFF, R.VILLAGE_STAFF}),
    "points.view": frozenset({R.DISTRICT_ADMIN, R.TOWN_STAFF, R.VILLAGE_STAFF}),
    "project.manage": frozenset({R.VILLAGE_STAFF, R.TOWN_STAFF}),
    "project.view": frozenset({R.DISTRICT_ADMIN, R.TOWN_STAFF, R.VILLAGE_STAFF, R.SUPERVISION}),
    # The quarterly feedback sheet goes to the member's own unit (中江 "一单一表一卡", domain.md §7.2).
    "feedback.view": frozenset({R.DISTRICT_ADMIN, R.TOWN_STAFF, R.UNIT_LIAISON}),
}

ACTIONS = tuple(MATRIX)


def roles(action: str) -> frozenset[str]:
    return MATRIX[action]

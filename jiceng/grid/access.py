"""Who may do what in grid governance: one role × action matrix, tested as a matrix (domain.md §6)."""

from jiceng.accounts.models import Role

R = Role

MATRIX: dict[str, frozenset[str]] = {
    "grid.view": frozenset({R.DISTRICT_ADMIN, R.TOWN_STAFF, R.VILLAGE_STAFF, R.GRID_WORKER}),
    "grid.change": frozenset({R.DISTRICT_ADMIN, R.TOWN_STAFF, R.VILLAGE_STAFF}),
    # A grid worker reports what they find; village and town staff report for residents who come in.
    "case.report": frozenset({R.VILLAGE_STAFF, R.GRID_WORKER, R.TOWN_STAFF}),
    # Accept, refuse, dispatch, handle, close: the level that holds the case (village, then town, then district).
    "case.handle": frozenset({R.VILLAGE_STAFF, R.TOWN_STAFF, R.DISTRICT_ADMIN}),
    "sweep.run": frozenset({R.VILLAGE_STAFF, R.TOWN_STAFF}),
    "sweep.visit": frozenset({R.GRID_WORKER, R.VILLAGE_STAFF}),
    "mobilize": frozenset({R.TOWN_STAFF, R.VILLAGE_STAFF, R.DISTRICT_ADMIN}),
}

ACTIONS = tuple(MATRIX)


def roles(action: str) -> frozenset[str]:
    return MATRIX[action]

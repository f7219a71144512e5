"""Who may do what in the organization registry: one role × action matrix, tested as a matrix."""

from jiceng.accounts.models import Role

R = Role
STAFF = frozenset({R.DISTRICT_ADMIN, R.TOWN_STAFF, R.VILLAGE_STAFF})

MATRIX: dict[str, frozenset[str]] = {
    "org.view": STAFF | {R.SUPERVISION, R.GRID_WORKER, R.PARTY_MEMBER, R.UNIT_LIAISON},
    "org.change": frozenset({R.DISTRICT_ADMIN, R.TOWN_STAFF}),
    "person.view": STAFF | {R.SUPERVISION, R.GRID_WORKER},
    "person.change": STAFF,
    # Unmasked ID numbers and phones: staff who must contact people; every look is audited (domain.md §9.1).
    "person.reveal": STAFF,
    "member.view": STAFF | {R.SUPERVISION},
    "member.change": STAFF,
    "post.change": STAFF,
    "registry.import": STAFF,
    "registry.export": STAFF,
}

ACTIONS = tuple(MATRIX)


def roles(action: str) -> frozenset[str]:
    return MATRIX[action]

"""Formation rules (组织设置) shown as warnings, and the derived 一肩挑 status.

Each rule carries its legal basis; [K] marks an article recalled, not re-checked (domain.md §0).
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from django.db.models import Count, Q

from jiceng.orgs.models import (
    BRANCH_KINDS,
    GRASSROOTS_KINDS,
    PARTY_COMMITTEE_ROLES,
    PARTY_ORG_KINDS,
    UNIT_KINDS,
    Formation,
    Member,
    Organization,
    OrgKind,
    Post,
    PostRole,
    Stage,
)

BRANCH_MIN_FULL = 3  # 《中国共产党支部工作条例（试行）》第五条 [K]; domain.md §3.1
JOINT_MAX_UNITS = 5  # 同上第五条：联合党支部覆盖单位一般不超过5个 [K]
COMMITTEE_MIN_FULL = 7  # 同上第十条：正式党员7人以上的党支部设立支部委员会 [K]; domain.md §3.2
GENERAL_BRANCH_OVER = 50  # 《中国共产党农村基层组织工作条例》第五条：党员人数超过50名的可设党总支 [K]; domain.md §3.1
PARTY_COMMITTEE_FROM = 100  # 同上第五条：党员100名以上的可设党委 [K]; domain.md §3.1


@dataclass(frozen=True)
class Warning:
    level: str  # "warning" must be acted on; "info" is an option the rules allow
    text: str
    basis: str


def _committee_size(org: Organization, today: date) -> int:
    return (
        Post.objects.filter(organization=org, role__in=PARTY_COMMITTEE_ROLES, start_date__lte=today)
        .filter(Q(end_date__isnull=True) | Q(end_date__gte=today))
        .count()
    )


def formation_warnings(org: Organization, today: date | None = None) -> list[Warning]:
    today = today or date.today()
    warnings: list[Warning] = []
    if org.kind in PARTY_ORG_KINDS:
        counts = Member.objects.filter(branch=org).aggregate(
            full=Count("pk", filter=Q(stage=Stage.FULL)),
            members=Count("pk", filter=Q(stage__in=[Stage.FULL, Stage.PROBATIONARY])),
        )
        full, members = counts["full"], counts["members"]
        if org.kind == OrgKind.BRANCH and full < BRANCH_MIN_FULL:
            warnings.append(
                Warning(
                    "warning",
                    f"正式党员仅 {full} 名，不足 {BRANCH_MIN_FULL} 名，宜与邻近单位组建联合党支部。",
                    "《中国共产党支部工作条例（试行）》第五条",
                )
            )
        if org.kind in BRANCH_KINDS and full >= COMMITTEE_MIN_FULL and _committee_size(org, today) < 3:
            warnings.append(
                Warning(
                    "warning",
                    f"正式党员 {full} 名，已达 {COMMITTEE_MIN_FULL} 名以上，应设立支部委员会（现任委员不足3名）。",
                    "《中国共产党支部工作条例（试行）》第十条",
                )
            )
        if org.kind in BRANCH_KINDS and members >= PARTY_COMMITTEE_FROM:
            warnings.append(
                Warning(
                    "info",
                    f"党员 {members} 名，已达 {PARTY_COMMITTEE_FROM} 名以上，经批准可设立基层党委。",
                    "《中国共产党农村基层组织工作条例》第五条",
                )
            )
        elif org.kind in BRANCH_KINDS and members > GENERAL_BRANCH_OVER:
            warnings.append(
                Warning(
                    "info", f"党员 {members} 名，超过 {GENERAL_BRANCH_OVER} 名，可设立党总支。", "《中国共产党农村基层组织工作条例》第五条"
                )
            )
    if org.kind == OrgKind.JOINT_BRANCH:
        covered = org.covered_units.count()
        if covered > JOINT_MAX_UNITS:
            warnings.append(
                Warning(
                    "warning",
                    f"联合党支部覆盖 {covered} 个单位，超过一般不超过 {JOINT_MAX_UNITS} 个的要求。",
                    "《中国共产党支部工作条例（试行）》第五条",
                )
            )
    if org.kind in UNIT_KINDS:
        has_own = Organization.objects.get_children(org).filter(kind__in=PARTY_ORG_KINDS).exists()
        full = Member.objects.filter(work_unit=org, stage=Stage.FULL).count()
        if not has_own and full >= BRANCH_MIN_FULL:
            warnings.append(
                Warning(
                    "warning",
                    f"本单位有正式党员 {full} 名，达到 {BRANCH_MIN_FULL} 名以上，应当单独成立党支部。",
                    "《中国共产党支部工作条例（试行）》第五条；《中国共产党章程》第三十条",
                )
            )
        elif not has_own and org.formation == Formation.SINGLE:
            warnings.append(Warning("warning", "登记为单独组建，但尚未登记本单位的党组织。", "《中国共产党章程》第三十条"))
    return warnings


def yijiantiao(orgs: Iterable[Organization], today: date | None = None) -> dict[int, bool]:
    """一肩挑 per village/community, derived from current posts (domain.md §10.1), never typed in.

    The secretary of the village's own party organization must also chair the villagers' (residents')
    committee and, in a village, head the economic association (经联社).
    """
    today = today or date.today()
    places = [o for o in orgs if o.kind in GRASSROOTS_KINDS]
    if not places:
        return {}
    by_path = {o.path: o for o in places}
    depth = places[0].depth
    posts = (
        Post.objects.filter(start_date__lte=today)
        .filter(Q(end_date__isnull=True) | Q(end_date__gte=today))
        .filter(role__in=[PostRole.SECRETARY, PostRole.CHAIR, PostRole.COOP_HEAD])
        .filter(
            Q(organization__in=places) | Q(organization__depth=depth + 1, organization__kind__in=PARTY_ORG_KINDS, role=PostRole.SECRETARY)
        )
        .filter(Q(*[Q(organization__path__startswith=p) for p in by_path], _connector=Q.OR))
        .values_list("organization__path", "organization__kind", "role", "person_id")
    )
    held: dict[str, dict[str, set[int]]] = defaultdict(lambda: defaultdict(set))
    for path, kind, role, person_id in posts:
        place_path = path[: len(places[0].path)]
        if role == PostRole.SECRETARY and kind not in PARTY_ORG_KINDS:
            continue
        held[place_path][role].add(person_id)
    result = {}
    for path, org in by_path.items():
        roles = held.get(path, {})
        both = roles.get(PostRole.SECRETARY, set()) & roles.get(PostRole.CHAIR, set())
        if org.kind == OrgKind.VILLAGE:
            both &= roles.get(PostRole.COOP_HEAD, set())
        result[org.pk] = bool(both)
    return result

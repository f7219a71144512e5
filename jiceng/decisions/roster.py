"""Who is entitled to sit in a meeting, snapshotted from the registry at the time it is recorded."""

from datetime import date

from django.db.models import Q

from jiceng.orgs.models import PARTY_COMMITTEE_ROLES, PARTY_ORG_KINDS, Member, Organization, Post, PostRole, Stage
from jiceng.rules.models import Body

VILLAGE_COMMITTEE_ROLES = frozenset({PostRole.CHAIR, PostRole.VICE_CHAIR, PostRole.COMMITTEE_MEMBER_VC})

# Bodies whose members the registry knows; the others (assemblies, representatives, groups) are counted.
REGISTRY_BODIES = frozenset({Body.PARTY_COMMITTEE, Body.TWO_COMMITTEES, Body.PARTY_ASSEMBLY})


def _current(on: date) -> Q:
    return Q(start_date__lte=on) & (Q(end_date__isnull=True) | Q(end_date__gte=on))


def _people(rows: list[tuple[int, str]]) -> list[dict[str, object]]:
    seen: dict[int, str] = {}
    for pk, name in rows:
        seen.setdefault(pk, name)
    return [{"id": pk, "name": name} for pk, name in sorted(seen.items(), key=lambda item: item[1])]


def snapshot(body: str, village: Organization, on: date) -> list[dict[str, object]] | None:
    """The entitled roster of a registry-known body, or None for bodies counted by hand."""
    party_orgs = Q(organization__path__startswith=village.path, organization__kind__in=PARTY_ORG_KINDS)
    if body == Body.PARTY_ASSEMBLY:
        # Probationary members have no vote (domain.md §3.4), so the assembly's due are full members.
        members = Member.objects.filter(branch__path__startswith=village.path, stage=Stage.FULL)
        return _people(list(members.values_list("person_id", "person__name")))
    if body == Body.PARTY_COMMITTEE:
        posts = Post.objects.filter(party_orgs, _current(on), role__in=PARTY_COMMITTEE_ROLES)
        return _people(list(posts.values_list("person_id", "person__name")))
    if body == Body.TWO_COMMITTEES:
        committee = Q(party_orgs, role__in=PARTY_COMMITTEE_ROLES) | Q(organization=village, role__in=VILLAGE_COMMITTEE_ROLES)
        posts = Post.objects.filter(committee, _current(on))
        return _people(list(posts.values_list("person_id", "person__name")))
    return None

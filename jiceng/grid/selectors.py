"""Reads of grid governance, always through the scope of accounts.access."""

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.db.models import Case as Case_
from django.db.models import Count, Max, Min, Prefetch, Q, QuerySet, Value, When
from django.db.models.functions import Left
from django.http import Http404
from django.utils import timezone

from jiceng.accounts.access import get_for_user, scope, scope_by_village
from jiceng.accounts.models import User
from jiceng.grid import access, sla
from jiceng.grid.models import OPEN_STATUSES, Case, CaseEvent, Escalation, Grid, GridForce, GridMember
from jiceng.grid.workflow import MOVES
from jiceng.orgs.models import GRASSROOTS_KINDS, Organization, OrgKind

VIEW = access.roles("grid.view")
LABELS = {"report": "上报", **{m.action: m.label for m in MOVES.values()}}


def grids_for_user(user: User) -> QuerySet[Grid]:
    return scope(Grid.objects.select_related("village", "party_org"), user, VIEW, "village__path")


def get_grid_for_user(user: User, pk: int) -> Grid:
    qs = Grid.objects.select_related("village", "party_org").prefetch_related(
        Prefetch("members", queryset=GridMember.objects.select_related("person", "user").order_by("end_date", "role", "start_date")),
        Prefetch("forces", queryset=GridForce.objects.filter(is_active=True)),
    )
    return get_for_user(qs, user, VIEW, "village__path", pk=pk)


def my_grids(user: User) -> QuerySet[Grid]:
    """The grids where the user serves now (GridMember.user); a grid worker's phone pages start here."""
    return grids_for_user(user).filter(members__user=user, members__end_date__isnull=True).distinct()


def cases_in_scope(user: User) -> QuerySet[Case]:
    # a case's page and the lists show the grid's name, never its boundary (a GeoJSON document per row)
    qs = Case.objects.select_related("grid", "village", "category").defer("grid__boundary")
    return scope_by_village(qs, user, VIEW, "village")


def get_case_for_user(user: User, pk: int) -> Case:
    qs = Case.objects.select_related("grid", "village", "category", "force", "reported_by")
    return get_for_user(qs, user, VIEW, "village__path", pk=pk)


def get_case_by_code(code: str) -> Case:
    case = Case.objects.select_related("grid", "village", "category").filter(code=code.strip().upper()).first()
    if case is None:
        raise Http404
    return case


CASE_FILTERS = ("status", "category", "village", "grid", "overdue", "mine", "q")


def used_filters(params: Any) -> dict[str, str]:
    return {key: params.get(key, "") for key in CASE_FILTERS if params.get(key)}


def cases_for_user(user: User, params: Any, now: datetime | None = None) -> QuerySet[Case]:
    now = now or timezone.now()
    qs = cases_in_scope(user)
    f = used_filters(params)
    if f.get("status") == "open":
        qs = qs.filter(status__in=OPEN_STATUSES)
    elif f.get("status"):
        qs = qs.filter(status=f["status"])
    if f.get("category", "").isdigit():
        qs = qs.filter(category_id=int(f["category"]))
    if f.get("village", "").isdigit():
        qs = qs.filter(village_id=int(f["village"]))
    if f.get("grid", "").isdigit():
        qs = qs.filter(grid_id=int(f["grid"]))
    if f.get("overdue"):
        qs = sla.overdue(qs, now)
    if f.get("mine"):
        qs = qs.filter(Q(grid__in=my_grids(user)) | Q(reported_by=user))
    if f.get("q"):
        qs = qs.filter(Q(code__iexact=f["q"].strip()) | Q(description__icontains=f["q"].strip()))
    return qs.order_by("-reported_at", "-pk")


def case_list_values(qs: QuerySet[Case]) -> QuerySet[Case, dict[str, Any]]:
    """The columns the case list shows, as values: no model instances, and no grid boundary (a
    GeoJSON document per row that select_related("grid") read and decoded for a name). The
    description is cut in the database to what the list shows."""
    return qs.annotate(description_start=Left("description", 25)).values(
        "pk",
        "code",
        "description_start",
        "category__name",
        "grid__name",
        "village__name",
        "status",
        "level",
        "reported_at",
        "stage_due_at",
        "due_at",
    )


def villages_for_user(user: User) -> list[Organization]:
    return list(scope(Organization.objects.filter(kind__in=GRASSROOTS_KINDS), user, VIEW, "path").order_by("code"))


MAP_KINDS = (*GRASSROOTS_KINDS, OrgKind.TOWN, OrgKind.SUBDISTRICT)


def _map_orgs(user: User) -> QuerySet[Organization]:
    return scope(Organization.objects.filter(kind__in=MAP_KINDS), user, VIEW, "path")


def map_orgs_for_user(user: User) -> list[Organization]:
    """Towns and villages whose grids the user may put on a map."""
    return list(_map_orgs(user).order_by("path"))


def map_org_for_user(user: User, pk: int | None) -> Organization | None:
    """The town or village asked for if the user may map it (None if not), or by default the first
    village in scope (else the first town): one query, where the map data used to list every town
    and village in scope (≈ 440 for a district at province scale) to pick one."""
    qs = _map_orgs(user)
    if pk is not None:
        return qs.filter(pk=pk).first()
    grassroots_first = Case_(When(kind__in=GRASSROOTS_KINDS, then=Value(0)), default=Value(1))
    return qs.order_by(grassroots_first, "path").first()


def timeline(case: Case) -> list[dict[str, Any]]:
    """Moves and supervision notices in time order, for the case page and the API."""
    entries: list[dict[str, Any]] = [
        {
            "at": e.at,
            "kind": "event",
            "action": e.action,
            "label": LABELS.get(e.action, e.action),
            "from": e.from_status,
            "to": e.to_status,
            "actor": e.actor_label,
            "note": e.note,
        }
        for e in CaseEvent.objects.filter(case=case).order_by("at", "pk")
    ]
    entries += [
        {
            "at": e.at,
            "kind": "escalation",
            "action": "escalate",
            "label": "超时督办",
            "from": e.stage,
            "to": e.stage,
            "actor": e.to_org.name,
            "note": e.reason,
            "due_at": e.due_at,
            "to_level": e.get_to_level_display(),
        }
        for e in Escalation.objects.filter(case=case).select_related("to_org")
    ]
    entries.sort(key=lambda x: (x["at"], x["kind"] == "event"))
    return entries


def open_counts_by_grid(grids: Iterable[Grid | int]) -> dict[int, int]:
    """Open cases per grid (grids or their ids): COUNT(*), not COUNT(id), so PostgreSQL counts from
    the (grid, status) index alone (an index-only scan; city, one town: 31 → 1 ms)."""
    rows = Case.objects.filter(grid__in=grids, status__in=OPEN_STATUSES).values("grid").annotate(n=Count("*")).order_by()
    return {r["grid"]: r["n"] for r in rows}


def _feature(pk: int, code: str, name: str, village: str, households: int, boundary: Any, open_cases: int) -> dict[str, Any]:
    properties = {"id": pk, "code": code, "name": name, "village": village, "households": households, "open_cases": open_cases}
    return {"type": "Feature", "geometry": boundary, "properties": properties}


def map_features(grids: Iterable[Grid], open_counts: dict[int, int] | None = None) -> dict[str, Any]:
    """A GeoJSON FeatureCollection of grid boundaries for Leaflet."""
    counts = open_counts or {}
    features = [_feature(g.pk, g.code, g.name, g.village.name, g.households, g.boundary, counts.get(g.pk, 0)) for g in grids if g.boundary]
    return {"type": "FeatureCollection", "features": features}


# The public map shows at most this many grids at once; a wider view asks the resident to zoom in.
PUBLIC_MAP_LIMIT = 300


def public_map_data(bbox: tuple[float, float, float, float] | None) -> dict[str, Any]:
    """Active grids whose bounding box meets bbox (west, south, east, north), as values, at most
    PUBLIC_MAP_LIMIT of them; `truncated` says more were there. Without a bbox, the first ones.
    A province holds 150,000 grids: the public page never receives them all."""
    grids = Grid.objects.filter(is_active=True, boundary__isnull=False)
    if bbox is not None:
        west, south, east, north = bbox
        grids = grids.filter(min_lng__lte=east, max_lng__gte=west, min_lat__lte=north, max_lat__gte=south)
    rows = list(grids.order_by("pk").values_list("pk", "code", "name", "village__name", "households", "boundary")[: PUBLIC_MAP_LIMIT + 1])
    features = [_feature(*r, 0) for r in rows[:PUBLIC_MAP_LIMIT] if r[5]]
    return {"type": "FeatureCollection", "features": features, "truncated": len(rows) > PUBLIC_MAP_LIMIT}


def grid_extent() -> tuple[float, float, float, float] | None:
    """(west, south, east, north) of every active grid: where the public map opens."""
    box = Grid.objects.filter(is_active=True).aggregate(w=Min("min_lng"), s=Min("min_lat"), e=Max("max_lng"), n=Max("max_lat"))
    return None if None in box.values() else (box["w"], box["s"], box["e"], box["n"])


def map_data(user: User, org: Organization) -> dict[str, Any]:
    """The map's FeatureCollection for the active grids under a town or village: the grids as values
    (the columns a feature shows, no model instances) and their open cases in one grouped query."""
    rows = list(
        grids_for_user(user)
        .filter(is_active=True, village__path__startswith=org.path)
        .values_list("pk", "code", "name", "village__name", "households", "boundary")
    )
    counts = open_counts_by_grid([r[0] for r in rows])
    features = [_feature(*r, counts.get(r[0], 0)) for r in rows if r[5]]
    return {"type": "FeatureCollection", "features": features}

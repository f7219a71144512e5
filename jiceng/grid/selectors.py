"""Reads of grid governance, always through the scope of accounts.access."""

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.db.models import Count, Prefetch, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from jiceng.accounts.access import get_for_user, scope
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
    return scope(Case.objects.select_related("grid", "village", "category"), user, VIEW, "village__path")


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


def villages_for_user(user: User) -> list[Organization]:
    return list(scope(Organization.objects.filter(kind__in=GRASSROOTS_KINDS), user, VIEW, "path").order_by("code"))


def map_orgs_for_user(user: User) -> list[Organization]:
    """Towns and villages whose grids the user may put on a map."""
    kinds = (*GRASSROOTS_KINDS, OrgKind.TOWN, OrgKind.SUBDISTRICT)
    return list(scope(Organization.objects.filter(kind__in=kinds), user, VIEW, "path").order_by("path"))


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


def open_counts_by_grid(grids: list[Grid]) -> dict[int, int]:
    rows = Case.objects.filter(grid__in=grids, status__in=OPEN_STATUSES).values("grid").annotate(n=Count("pk"))
    return {r["grid"]: r["n"] for r in rows}


def map_features(grids: Iterable[Grid], open_counts: dict[int, int] | None = None) -> dict[str, Any]:
    """A GeoJSON FeatureCollection of grid boundaries for Leaflet."""
    features = []
    for g in grids:
        if not g.boundary:
            continue
        features.append(
            {
                "type": "Feature",
                "geometry": g.boundary,
                "properties": {
                    "id": g.pk,
                    "code": g.code,
                    "name": g.name,
                    "village": g.village.name,
                    "households": g.households,
                    "open_cases": (open_counts or {}).get(g.pk, 0),
                },
            }
        )
    return {"type": "FeatureCollection", "features": features}

"""Bare views doing the same indexed query as a page and returning the same rows as JSON.

No login, no scope lookup, no template: the floor a page is measured against. They exist only
in jiceng.bench.urls, which jiceng.bench.settings selects when JICENG_BENCH=1.
"""

from typing import Any

from django.conf import settings
from django.db.models import Count, QuerySet
from django.http import Http404, HttpRequest, JsonResponse

from jiceng.accounts.access import VILLAGE_LIST_MAX, subtree
from jiceng.audit.models import Event
from jiceng.decisions.models import Decision, Meeting
from jiceng.grid.models import OPEN_STATUSES, Case, Grid
from jiceng.lib import paging
from jiceng.needs.models import Need
from jiceng.orgs.models import GRASSROOTS_KINDS, Member, Organization, Person


def _root_path(request: HttpRequest) -> str:
    return request.GET.get("path", "")


def _page(qs: QuerySet, fields: list[str], size: int | None = None) -> JsonResponse:
    # the capped count of the pages (lib.paging), not an exact one: a baseline must not do more than its page
    size = size or settings.PAGE_SIZE
    return JsonResponse({"count": paging.capped_count(qs), "rows": list(qs.values_list(*fields)[:size])})


def _in_villages(model: type[Case | Need | Decision], village_field: str, path: str) -> QuerySet:
    """The page's scope for rows of a village (accounts.access.scope_by_village): the ids of the
    villages under the path when there are few enough, else the path range."""
    villages = Organization.objects.filter(path__startswith=path, kind__in=GRASSROOTS_KINDS).values_list("pk", flat=True)
    ids = list(villages[: VILLAGE_LIST_MAX + 1])
    if len(ids) > VILLAGE_LIST_MAX:
        return model.objects.filter(**{f"{village_field}__path__startswith": path})
    return model.objects.filter(**{f"{village_field}_id__in": ids})


def _newest_page(qs: QuerySet, fields: list[str], size: int | None = None) -> JsonResponse:
    """_page with the page's keys picked first, as the list pages do (lib.paging.page_of_keys)."""
    size = size or settings.PAGE_SIZE
    rows = qs.filter(pk__in=qs.values("pk")[:size]).values_list(*fields)
    return JsonResponse({"count": paging.capped_count(qs), "rows": list(rows)})


def _capped_page(qs: QuerySet, fields: list[str]) -> dict[str, Any]:
    """Page 1 as the capped pager reads it (lib.paging.paginate): one row more than the page, to know
    whether a next one exists, and the count up to COUNT_CAP."""
    size = settings.PAGE_SIZE
    rows = list(qs.values_list(*fields)[: size + 1])
    total = paging.capped_count(qs)
    return {"count": min(total, paging.COUNT_CAP), "capped": total > paging.COUNT_CAP, "has_next": len(rows) > size, "rows": rows[:size]}


def tree(request: HttpRequest) -> JsonResponse:
    tops = list(Organization.objects.filter(depth=1).order_by("path").values_list("path", "name"))
    children = [
        list(Organization.objects.filter(path__startswith=p, depth=2).order_by("path").values_list("pk", "name", "kind")) for p, _ in tops
    ]
    return JsonResponse({"tops": tops, "children": children})


def members(request: HttpRequest) -> JsonResponse:
    qs = Member.objects.filter(branch__path__startswith=_root_path(request))
    # the page's query for one or two characters (orgs.selectors._name_filter): a prefix of the member's
    # copy of the name, or of its pinyin initials (stored lower-case) for Latin letters
    if (q := request.GET.get("q", "")) and q.isascii():
        qs = qs.filter(name_initials__startswith=q.lower())
    elif q:
        qs = qs.filter(name__startswith=q)
    qs = qs.order_by("branch__path", "name", "pk")
    return _page(qs, ["pk", "person_id", "name", "branch__name", "stage", "applied_on", "full_on"])


def people(request: HttpRequest) -> JsonResponse:
    # the page's scope is a path range (accounts.access.scope), its order orgs.selectors.people_for_user's
    qs = Person.objects.filter(subtree("organization__path", _root_path(request))).order_by("organization__path", "name", "pk")
    return JsonResponse(_capped_page(qs, ["pk", "name", "gender", "organization__name", "id_number_masked", "phone_masked"]))


def decisions(request: HttpRequest) -> JsonResponse:
    qs = _in_villages(Decision, "village", _root_path(request)).order_by("-created_on", "-pk")
    return _newest_page(qs, ["pk", "title", "village__name", "status", "created_on"])


def needs(request: HttpRequest) -> JsonResponse:
    qs = _in_villages(Need, "community", _root_path(request)).order_by("-submitted_at", "-pk")
    return _newest_page(qs, ["pk", "title", "community__name", "status", "submitted_at"], 30)


def cases(request: HttpRequest) -> JsonResponse:
    qs = _in_villages(Case, "village", _root_path(request)).order_by("-reported_at", "-pk")
    return _newest_page(qs, ["pk", "code", "village__name", "category__name", "status", "reported_at", "due_at"])


def grids(request: HttpRequest) -> JsonResponse:
    qs = Grid.objects.filter(village__path__startswith=_root_path(request), is_active=True).order_by("code")
    return JsonResponse({"rows": list(qs.values_list("pk", "name", "boundary"))})


def grid_list(request: HttpRequest) -> JsonResponse:
    """The grid list's page and its open cases per grid (grid.selectors.open_counts_by_grid)."""
    qs = Grid.objects.filter(subtree("village__path", _root_path(request))).order_by("code")
    fields = ["pk", "code", "name", "kind", "village__name", "households", "population", "party_org__name"]
    body = _capped_page(qs, fields)
    pks = [row[0] for row in body["rows"]]
    open_cases = Case.objects.filter(grid__in=pks, status__in=OPEN_STATUSES).values("grid").annotate(n=Count("*")).order_by()
    body["open"] = {r["grid"]: r["n"] for r in open_cases}
    return JsonResponse(body)


def ledger(request: HttpRequest) -> JsonResponse:
    """The ledger as an auditor at a root of the tree reads it (audit.views.ledger): every event, newest first."""
    fields = ["seq", "at", "actor_label", "org_name", "action", "object_type", "object_id", "changes", "hash"]
    return JsonResponse(_capped_page(Event.objects.order_by("-seq"), fields))


def decision(request: HttpRequest, pk: int) -> JsonResponse:
    """The decision detail's core rows: the decision with its village, and its meetings."""
    row = Decision.objects.filter(pk=pk).values_list("pk", "title", "village__name", "status", "created_on").first()
    if row is None:
        raise Http404
    meetings = list(Meeting.objects.filter(decision_id=pk).order_by("pk").values_list("pk", "step", "held_on"))
    return JsonResponse({"decision": row, "meetings": meetings})


def empty(request: HttpRequest) -> JsonResponse:
    """Nothing at all: the floor against which a logged-in page's fixed cost (session, user, grants,
    middleware, the layout) is measured."""
    return JsonResponse({})


def counts(request: HttpRequest) -> JsonResponse:
    """A dashboard's floor: the scoped counts of members, cases, needs and decisions under one path."""
    p = _root_path(request)
    return JsonResponse(
        {
            "members": Member.objects.filter(branch__path__startswith=p).count(),
            "cases": Case.objects.filter(village__path__startswith=p).count(),
            "needs": Need.objects.filter(community__path__startswith=p).count(),
            "decisions": Decision.objects.filter(village__path__startswith=p).count(),
        }
    )

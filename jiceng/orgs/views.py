"""Registry pages: the organization tree, organization pages, people and members."""

from collections.abc import Collection
from datetime import date
from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Page, Paginator
from django.db.models import Prefetch, Q, QuerySet
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET, require_POST

from jiceng.accounts.access import can
from jiceng.lib.http import AuthedRequest
from jiceng.lib.listing import choice_labels, pk_url
from jiceng.lib.paging import paginate
from jiceng.orgs import rules, selectors, services, views_edit
from jiceng.orgs.access import roles
from jiceng.orgs.models import GRASSROOTS_KINDS, PARTY_ORG_KINDS, Gender, Member, Organization, Person, Post, Stage

# The tree page lists the children of at most this many top organizations (see tree()).
TREE_TOPS_WITH_CHILDREN = 20


def _page(request: AuthedRequest, qs: QuerySet[Any]) -> Page[Any]:
    return Paginator(qs, settings.PAGE_SIZE).get_page(request.GET.get("page"))


def _require_any(request: AuthedRequest, action: str) -> None:
    if not can(request.user, roles(action), None):
        raise PermissionDenied


@login_required
@require_GET
def tree(request: AuthedRequest) -> HttpResponse:
    _require_any(request, "org.view")
    tops = list(selectors.top_orgs(request.user))
    # The page shows the user's top organizations and their children; anything deeper is expanded
    # on demand. A province or city admin holds one grant (1 + 21 or 1 + 10 rows); a user with many
    # grants gets the tops only, each with its expand link (122 district grants: 122 rows, not 1,586).
    children = selectors.children_of(tops) if len(tops) <= TREE_TOPS_WITH_CHILDREN else {}
    context = {
        "tops": [(top, children.get(top.path)) for top in tops],
        "can_export": can(request.user, roles("registry.export"), None),
    }
    return render(request, "orgs/tree.html", context)


@login_required
@require_GET
def org_children(request: AuthedRequest, pk: int) -> HttpResponse:
    org = selectors.get_org_for_user(request.user, pk)
    return render(request, "orgs/_partials/children.html", {"children": Organization.objects.get_children(org)})


@login_required
@require_GET
def org_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    user = request.user
    org = selectors.get_org_for_user(user, pk)
    today = date.today()
    visible_paths = [o.path for o in selectors.top_orgs(user)]
    breadcrumb = [a for a in Organization.objects.get_ancestors(org) if any(a.path.startswith(p) for p in visible_paths)]
    members = Member.objects.none()
    if can(user, roles("member.view"), org):
        members = (
            Member.objects.filter(branch__path__startswith=org.path)
            .select_related("person", "branch")
            .order_by("branch__path", "person__name")
        )
    current = Q(end_date__isnull=True) | Q(end_date__gte=today)
    posts = org.posts.filter(current).select_related("person").order_by("role")
    party_orgs = []
    if org.kind in GRASSROOTS_KINDS:
        current_posts = Prefetch("posts", queryset=Post.objects.filter(current).select_related("person"), to_attr="current_posts")
        party_orgs = list(Organization.objects.get_children(org).filter(kind__in=PARTY_ORG_KINDS).prefetch_related(current_posts))
    context = {
        "org": org,
        "breadcrumb": breadcrumb,
        "children": Organization.objects.get_children(org),
        "warnings": rules.formation_warnings(org, today),
        "yijiantiao": rules.yijiantiao([org], today).get(org.pk) if org.kind in GRASSROOTS_KINDS else None,
        "posts": posts,
        "party_orgs": party_orgs,
        "members_page": _page(request, members),
        "member_count": members.count(),
        "full_count": members.filter(stage=Stage.FULL).count(),
        "covered_units": org.covered_units.all(),
        "grand_units": org.grand_committee_units.select_related("unit", "part_time_member"),
        "pairings": org.paired_units.select_related("unit") if org.kind in GRASSROOTS_KINDS else org.pairings.select_related("community"),
        "reserve_cadres": org.reserve_cadres.select_related("person"),
        "can_export": can(user, roles("registry.export"), org),
        **views_edit.org_actions(user, org),
    }
    if request.htmx and request.GET.get("page"):
        return render(request, "orgs/_partials/org_members.html", context)
    return render(request, "orgs/org_detail.html", context)


SECRET_COLUMNS = ("id_number_encrypted", "id_number_hash", "phone_encrypted", "phone_hash")


@login_required
@require_GET
def people(request: AuthedRequest) -> HttpResponse:
    _require_any(request, "person.view")
    # a capped count, as the member list: a province admin's registry holds 4 M people
    # the list shows the masked ID numbers and phones, never their ciphertexts or keyed hashes
    qs = selectors.people_for_user(request.user, request.GET).defer(*SECRET_COLUMNS)
    page = paginate(qs, request.GET.get("page"), settings.PAGE_SIZE)
    template = "orgs/_partials/people_rows.html" if request.htmx else "orgs/people.html"
    return render(request, template, {"page": page, "rows": _people_rows(list(page)), "q": request.GET.get("q", "")})


def _people_rows(people: list[Person]) -> list[dict[str, Any]]:
    """Links and gender labels prepared once for the page (lib.listing), as _member_rows has them."""
    person_url, genders = pk_url("orgs:person"), choice_labels(Gender)
    return [{"person": p, "url": person_url(p.pk), "gender": genders.get(p.gender, p.gender)} for p in people]


@login_required
@require_GET
def person_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    user = request.user
    person = selectors.get_person_for_user(user, pk)
    member = Member.objects.filter(person=person).select_related("branch", "work_unit", "residence_community").first()
    return render(
        request,
        "orgs/person_detail.html",
        {
            "person": person,
            "member": member,
            "posts": person.posts.select_related("organization").order_by("-start_date"),
            "can_reveal": can(user, roles("person.reveal"), person.organization),
            "age": person.age_on(date.today()),
            **views_edit.person_actions(user, person, member),
        },
    )


@login_required
@require_POST
def person_reveal(request: AuthedRequest, pk: int, field: str) -> HttpResponse:
    person = selectors.get_person_for_user(request.user, pk)
    if field not in {"id_number", "phone"}:
        raise Http404
    try:
        value = services.person_reveal(actor=request.user, person=person, field=field)
    except ValidationError as exc:
        return HttpResponse(" ".join(exc.messages), status=400)
    return render(request, "orgs/_partials/revealed.html", {"value": value or "（未登记）"})


@login_required
@require_GET
def members(request: AuthedRequest) -> HttpResponse:
    _require_any(request, "member.view")
    members = selectors.members_for_user(request.user, request.GET)
    page = paginate(members.values(*MEMBER_COLUMNS), request.GET.get("page"), settings.PAGE_SIZE, count_qs=members)
    context = {
        "page": page,
        "rows": _member_rows(page.object_list),
        "q": request.GET.get("q", ""),
        "stage": request.GET.get("stage", ""),
        "stages": Stage.choices,
    }
    template = "orgs/_partials/member_rows.html" if request.htmx else "orgs/members.html"
    return render(request, template, context)


# The member list reads these columns, not model instances: a page of rows costs no more than its labels.
MEMBER_COLUMNS = ("pk", "person_id", "name", "branch_id", "branch__name", "stage", "applied_on", "full_on")


def _member_rows(members: list[dict[str, Any]]) -> list[dict[str, Any]]:
    person_url, branch_url, stages = pk_url("orgs:person"), pk_url("orgs:detail"), choice_labels(Stage)
    return [
        {
            **m,
            "person_url": person_url(m["person_id"]),
            "branch_url": branch_url(m["branch_id"]),
            "stage_label": stages.get(m["stage"], m["stage"]),
            "applied": m["applied_on"].isoformat() if m["applied_on"] else "",  # as |date:"Y-m-d"
            "full": m["full_on"].isoformat() if m["full_on"] else "",
        }
        for m in members
    ]


@login_required
@require_GET
def area_filter(
    request: AuthedRequest, action_roles: Collection[str], village_param: str = "village", active_only: bool = False
) -> HttpResponse:
    """The area selects of a list page for the choices made so far (htmx swaps the block when the
    district or town changes). Each app routes here with the roles of its list (see its urls.py),
    so the options are exactly the areas that page may filter by."""
    if not can(request.user, action_roles, None):
        raise PermissionDenied
    area = selectors.area_filter(request.user, action_roles, request.GET, village_param, active_only)
    return render(request, "web/_partials/area_filter.html", {"area": area, "area_url": request.path})

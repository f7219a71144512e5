"""Staff pages that keep the registry right: people, member records, posts, child organizations,
reserve cadres, grand-committee member units and pairings.

Each view fetches its object in the actor's scope (404 for other villages), checks the action
(403 for a role that may see but not change), parses with a form and writes through a service;
a service's ValidationError is shown on the form. With htmx the same view answers with a fragment.
"""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError
from django.db.models import QuerySet
from django.http import Http404, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from jiceng.accounts.access import can, get_for_user
from jiceng.accounts.models import User
from jiceng.lib.http import AuthedRequest
from jiceng.orgs import forms, selectors, services
from jiceng.orgs.access import roles
from jiceng.orgs.models import (
    GRASSROOTS_KINDS,
    GrandCommitteeUnit,
    Member,
    Organization,
    OrgKind,
    Pairing,
    Person,
    Post,
    ReserveCadre,
)

GET_POST = require_http_methods(["GET", "POST"])


def _require(user: User, action: str, org: Organization) -> None:
    if not can(user, roles(action), org):
        raise PermissionDenied


def _data(request: AuthedRequest) -> Any:
    return request.POST if request.method == "POST" else None


def _searching(request: AuthedRequest) -> bool:
    """An htmx request from a person picker's search box: answer with the short list only."""
    return request.method == "GET" and bool(request.htmx) and "q" in request.GET


def _choices(request: AuthedRequest, form: forms.EditForm, name: str) -> HttpResponse:
    bound = form[name]
    context = bound.field.widget.get_context(bound.html_name, bound.value(), {"id": bound.auto_id})
    return render(request, "orgs/_partials/edit_person_choices.html", context)


def _in_scope(qs: QuerySet[Any], user: User, path_field: str, pk: int) -> Any:
    return get_for_user(qs, user, roles("org.view"), path_field, pk=pk)


# ---- flags for the organization and person pages -------------------------------------------


def org_actions(user: User, org: Organization) -> dict[str, Any]:
    """What the user may change on an organization's page (no queries: grants are cached)."""
    change_org = can(user, roles("org.change"), org)
    grassroots = org.kind in GRASSROOTS_KINDS
    return {
        "can_add_person": can(user, roles("person.change"), org),
        "can_change_org": change_org,
        "can_add_child": change_org and bool(forms.child_kinds(org.kind)),
        "can_change_posts": can(user, roles("post.change"), org),
        "can_manage_reserves": grassroots and can(user, roles("post.change"), org),
        "can_manage_grand_units": org.kind == OrgKind.COMMUNITY and change_org,
        "can_manage_pairings": grassroots and change_org,
        "is_grassroots": grassroots,
        "reserve_min": services.RESERVE_MIN_PER_PLACE,
    }


def person_actions(user: User, person: Person, member: Member | None) -> dict[str, Any]:
    change = can(user, roles("person.change"), person.organization)
    return {
        "can_edit_person": change,
        "can_edit_member": change and can(user, roles("member.change"), member.branch if member else None),
    }


# ---- people and member records -------------------------------------------------------------


@login_required
@GET_POST
def person_create(request: AuthedRequest, pk: int) -> HttpResponse:
    user = request.user
    org = selectors.get_org_for_user(user, pk)
    _require(user, "person.change", org)
    form = forms.PersonForm(_data(request))
    if form.is_bound and form.is_valid():
        try:
            person = services.person_create(actor=user, organization=org, **form.service_kwargs())
        except ValidationError as exc:
            form.add_service_error(exc)
        else:
            messages.success(request, _("已新增人员“%(name)s”。如是党员或入党申请人，请继续登记党员信息。") % {"name": person.name})
            return redirect("orgs:person", pk=person.pk)
    return render(request, "orgs/edit_person.html", {"form": form, "org": org, "person": None, "title": _("新增人员")})


@login_required
@GET_POST
def person_edit(request: AuthedRequest, pk: int) -> HttpResponse:
    user = request.user
    person = selectors.get_person_for_user(user, pk)
    _require(user, "person.change", person.organization)
    form = forms.PersonForm(_data(request), person=person)
    if form.is_bound and form.is_valid():
        try:
            services.person_update(actor=user, person=person, **form.service_kwargs())
        except ValidationError as exc:
            form.add_service_error(exc)
        else:
            messages.success(request, _("已保存人员信息。"))
            return redirect("orgs:person", pk=person.pk)
    return render(
        request, "orgs/edit_person.html", {"form": form, "org": person.organization, "person": person, "title": _("编辑人员信息")}
    )


@login_required
@GET_POST
def member_edit(request: AuthedRequest, pk: int) -> HttpResponse:
    user = request.user
    person = selectors.get_person_for_user(user, pk)
    _require(user, "person.change", person.organization)
    member = Member.objects.filter(person=person).select_related("branch").first()
    if not can(user, roles("member.change"), member.branch if member else None):
        raise PermissionDenied
    form = forms.MemberForm(_data(request), user=user, member=member)
    title = _("修改党员信息") if member else _("登记党员信息")
    if form.is_bound and form.is_valid():
        try:
            services.member_save(actor=user, person=person, **form.service_kwargs())
        except ValidationError as exc:
            form.add_service_error(exc)
        else:
            messages.success(request, _("已保存党员信息。"))
            return redirect("orgs:person", pk=person.pk)
    return render(request, "orgs/edit_member.html", {"form": form, "person": person, "member": member, "title": title})


# ---- posts ---------------------------------------------------------------------------------


@login_required
@GET_POST
def post_create(request: AuthedRequest, pk: int) -> HttpResponse:
    user = request.user
    org = selectors.get_org_for_user(user, pk)
    _require(user, "post.change", org)
    form = forms.PostForm(_data(request), user=user, org=org, q=request.GET.get("q", ""), search_url=request.path)
    if _searching(request):
        return _choices(request, form, "person")
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        try:
            post = services.post_create(
                actor=user,
                person=data["person"],
                organization=data["organization"],
                role=data["role"],
                start_date=data["start_date"],
                elected=data["elected"],
            )
        except ValidationError as exc:
            form.add_service_error(exc)
        except IntegrityError:
            # Two submissions racing past the service's check: the open-post constraint keeps one.
            form.add_error("role", _("此人已在该组织担任该职务，请勿重复提交。"))
        else:
            messages.success(request, _("已登记：%(post)s（%(org)s）。") % {"post": post, "org": post.organization.name})
            return redirect("orgs:detail", pk=org.pk)
    return render(request, "orgs/edit_post.html", {"form": form, "org": org, "title": _("任命/选举职务")})


def _post_row(request: AuthedRequest, post: Post, form: forms.EndDateForm | None = None) -> HttpResponse:
    context = {"p": post, "org_name": post.organization.name, "can_change_posts": True, "end_form": form}
    return render(request, "orgs/_partials/edit_post_row.html", context)


@login_required
@GET_POST
def post_end(request: AuthedRequest, pk: int) -> HttpResponseBase:
    user = request.user
    post: Post = _in_scope(Post.objects.select_related("person", "organization"), user, "organization__path", pk)
    _require(user, "post.change", post.organization)
    form = forms.EndDateForm(_data(request), auto_id=f"post-{post.pk}-%s")
    if form.is_bound and form.is_valid():
        try:
            post = services.post_end(actor=user, post=post, end_date=form.cleaned_data["end_date"])
        except ValidationError as exc:
            form.add_service_error(exc)
        else:
            if request.htmx:
                return _post_row(request, post)
            messages.success(request, _("已记录 %(post)s 离任。") % {"post": post})
            return redirect("orgs:detail", pk=post.organization_id)
    if request.htmx:
        return _post_row(request, post, form)
    return render(request, "orgs/edit_post_end.html", {"form": form, "post": post, "title": _("离任")})


# ---- organizations -------------------------------------------------------------------------


@login_required
@GET_POST
def org_create(request: AuthedRequest, pk: int) -> HttpResponse:
    user = request.user
    parent = selectors.get_org_for_user(user, pk)
    _require(user, "org.change", parent)
    form = forms.OrgCreateForm(_data(request), user=user, parent=parent)
    if form.is_bound and form.is_valid():
        try:
            org = services.org_create(actor=user, parent=parent, **form.cleaned_data)
        except ValidationError as exc:
            form.add_service_error(exc)
        else:
            messages.success(request, _("已新增下级组织“%(name)s”。") % {"name": org.name})
            return redirect("orgs:detail", pk=org.pk)
    return render(request, "orgs/edit_org.html", {"form": form, "org": parent, "creating": True, "title": _("新增下级组织")})


@login_required
@GET_POST
def org_edit(request: AuthedRequest, pk: int) -> HttpResponse:
    user = request.user
    org = selectors.get_org_for_user(user, pk)
    _require(user, "org.change", org)
    form = forms.OrgEditForm(_data(request), user=user, org=org)
    if form.is_bound and form.is_valid():
        try:
            services.org_update(actor=user, org=org, **form.cleaned_data)
        except ValidationError as exc:
            form.add_service_error(exc)
        else:
            messages.success(request, _("已保存组织信息。"))
            return redirect("orgs:detail", pk=org.pk)
    return render(request, "orgs/edit_org.html", {"form": form, "org": org, "creating": False, "title": _("编辑组织")})


# ---- reserve cadres ------------------------------------------------------------------------


def _reserves(request: AuthedRequest, org: Organization) -> HttpResponse:
    context = {"org": org, "reserve_cadres": org.reserve_cadres.select_related("person"), **org_actions(request.user, org)}
    return render(request, "orgs/_partials/edit_reserves.html", context)


@login_required
@GET_POST
def reserve_add(request: AuthedRequest, pk: int) -> HttpResponse:
    user = request.user
    org = selectors.get_org_for_user(user, pk)
    _require(user, "post.change", org)
    if org.kind not in GRASSROOTS_KINDS:
        raise Http404
    form = forms.ReserveForm(_data(request), user=user, q=request.GET.get("q", ""), search_url=request.path)
    if _searching(request):
        return _choices(request, form, "person")
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        try:
            reserve = services.reserve_cadre_add(
                actor=user, organization=org, person=data["person"], since=data["since"], note=data["note"]
            )
        except ValidationError as exc:
            form.add_service_error(exc)
        else:
            messages.success(request, _("已将“%(name)s”列入后备干部。") % {"name": reserve.person.name})
            if warning := services.reserve_age_warning(reserve.person, timezone.localdate()):
                messages.warning(request, warning)
            return redirect("orgs:detail", pk=org.pk)
    return render(
        request, "orgs/edit_reserve.html", {"form": form, "org": org, "max_age": services.RESERVE_MAX_AGE, "title": _("新增后备干部")}
    )


@login_required
@require_POST
def reserve_remove(request: AuthedRequest, pk: int) -> HttpResponseBase:
    user = request.user
    reserve: ReserveCadre = _in_scope(ReserveCadre.objects.select_related("organization", "person"), user, "organization__path", pk)
    services.reserve_cadre_remove(actor=user, reserve=reserve)
    if request.htmx:
        return _reserves(request, reserve.organization)
    messages.success(request, _("已将“%(name)s”移出后备干部名单。") % {"name": reserve.person.name})
    return redirect("orgs:detail", pk=reserve.organization_id)


# ---- grand-committee member units and pairings ---------------------------------------------


@login_required
@GET_POST
def grand_unit_add(request: AuthedRequest, pk: int) -> HttpResponse:
    user = request.user
    org = selectors.get_org_for_user(user, pk)
    _require(user, "org.change", org)
    form = forms.GrandUnitForm(_data(request), user=user, q=request.GET.get("q", ""), search_url=request.path)
    if _searching(request):
        return _choices(request, form, "part_time_member")
    if form.is_bound and form.is_valid():
        try:
            row = services.grand_committee_unit_add(actor=user, community=org, **form.cleaned_data)
        except ValidationError as exc:
            form.add_service_error(exc)
        else:
            messages.success(request, _("已将“%(unit)s”列为大党委成员单位。") % {"unit": row.unit.name})
            return redirect("orgs:detail", pk=org.pk)
    return render(request, "orgs/edit_grand_unit.html", {"form": form, "org": org, "title": _("添加大党委成员单位")})


@login_required
@require_POST
def grand_unit_remove(request: AuthedRequest, pk: int) -> HttpResponseBase:
    user = request.user
    row: GrandCommitteeUnit = _in_scope(GrandCommitteeUnit.objects.select_related("community", "unit"), user, "community__path", pk)
    services.grand_committee_unit_remove(actor=user, row=row)
    if request.htmx:
        return HttpResponse("")
    messages.success(request, _("已将“%(unit)s”移出大党委成员单位。") % {"unit": row.unit.name})
    return redirect("orgs:detail", pk=row.community_id)


@login_required
@GET_POST
def pairing_add(request: AuthedRequest, pk: int) -> HttpResponse:
    user = request.user
    org = selectors.get_org_for_user(user, pk)
    _require(user, "org.change", org)
    form = forms.PairingForm(_data(request), user=user)
    if form.is_bound and form.is_valid():
        try:
            pairing = services.pairing_add(actor=user, community=org, **form.cleaned_data)
        except ValidationError as exc:
            form.add_service_error(exc)
        else:
            messages.success(request, _("已登记与“%(unit)s”的结对共建协议。") % {"unit": pairing.unit.name})
            return redirect("orgs:detail", pk=org.pk)
    return render(request, "orgs/edit_pairing.html", {"form": form, "org": org, "title": _("登记结对共建")})


@login_required
@GET_POST
def pairing_end(request: AuthedRequest, pk: int) -> HttpResponseBase:
    user = request.user
    pairing: Pairing = _in_scope(Pairing.objects.select_related("unit", "community"), user, "community__path", pk)
    _require(user, "org.change", pairing.community)
    form = forms.EndDateForm(_data(request), label=_("协议终止日期"), auto_id=f"pairing-{pairing.pk}-%s")
    if form.is_bound and form.is_valid():
        try:
            pairing = services.pairing_end(actor=user, pairing=pairing, end_date=form.cleaned_data["end_date"])
        except ValidationError as exc:
            form.add_service_error(exc)
        else:
            if request.htmx:
                return _pairing_item(request, pairing)
            messages.success(request, _("已记录结对协议终止。"))
            return redirect("orgs:detail", pk=pairing.community_id)
    if request.htmx:
        return _pairing_item(request, pairing, form)
    return render(request, "orgs/edit_pairing_end.html", {"form": form, "pairing": pairing, "title": _("终止结对协议")})


def _pairing_item(request: AuthedRequest, pairing: Pairing, form: forms.EndDateForm | None = None) -> HttpResponse:
    context = {"p": pairing, "org": pairing.community, "can_manage_pairings": True, "end_form": form}
    return render(request, "orgs/_partials/edit_pairing_item.html", context)

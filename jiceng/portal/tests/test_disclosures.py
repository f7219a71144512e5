"""Disclosures (党务公开, 村务公开) and the rhythm check of domain.md §1.7."""

from datetime import date, timedelta
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from jiceng.accounts.models import User
from jiceng.audit.models import Event
from jiceng.conftest import Personas, Tree
from jiceng.orgs.models import Organization
from jiceng.portal import rhythm, services
from jiceng.portal.models import Disclosure
from jiceng.portal.models import DisclosureCategory as C
from jiceng.portal.models import DisclosureDomain as D

TODAY = timezone.localdate()


def staff(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def disclose(
    actor: User, village: Organization, category: str, start: date, end: date, published: date | None = None, **kw: Any
) -> Disclosure:
    return services.disclosure_publish(
        actor=actor,
        village=village,
        domain=kw.get("domain", D.VILLAGE),
        category=category,
        title=kw.get("title", f"{category}公开"),
        body="内容",
        period_start=start,
        period_end=end,
        published_on=published or TODAY,
    )


def in_good_standing(actor: User, village: Organization, today: date) -> None:
    start, end = rhythm.last_month(today)
    disclose(actor, village, C.GENERAL, start, end, published=today - timedelta(days=3))
    disclose(actor, village, C.FINANCE, start, end, published=today - timedelta(days=3))


def test_it_flags_a_village_with_no_finance_disclosure_last_month(personas: Personas, tree: Tree) -> None:
    in_good_standing(personas.secretary_a, tree.village_a, TODAY)
    start, end = rhythm.last_month(TODAY)
    disclose(personas.secretary_b, tree.village_b, C.GENERAL, start, end)
    # A finance item for the month before last does not cover last month.
    disclose(personas.secretary_b, tree.village_b, C.FINANCE, start - timedelta(days=40), start - timedelta(days=10))
    misses = {m.village.pk: m.problems for m in rhythm.check([tree.village_a, tree.village_b], TODAY)}
    assert tree.village_a.pk not in misses
    assert misses[tree.village_b.pk] == [f"{start.year}年{start.month}月财务收支未公开"]


def test_it_flags_a_stale_general_item_and_a_late_major_matter(personas: Personas, tree: Tree) -> None:
    start, end = rhythm.last_month(TODAY)
    disclose(personas.secretary_a, tree.village_a, C.FINANCE, start, end)
    old = TODAY - timedelta(days=rhythm.GENERAL_EVERY_DAYS + 1)
    disclose(personas.secretary_a, tree.village_a, C.GENERAL, old, old, published=old)
    arose = TODAY - timedelta(days=rhythm.MAJOR_WITHIN_DAYS + 2)
    disclose(personas.secretary_a, tree.village_a, C.MAJOR, arose, arose, title="土地征收")
    (miss,) = rhythm.check([tree.village_a], TODAY)
    assert len(miss.problems) == 2 and "已超过一个季度" in miss.problems[0] and "土地征收" in miss.problems[1]


def test_a_village_with_nothing_is_flagged_and_a_future_item_does_not_count(personas: Personas, tree: Tree) -> None:
    start, end = rhythm.last_month(TODAY)
    disclose(personas.secretary_a, tree.village_a, C.FINANCE, start, end, published=TODAY + timedelta(days=1))
    (miss,) = rhythm.check([tree.village_a], TODAY)
    assert len(miss.problems) == 2


def test_the_rhythm_page_lists_only_villages_in_scope(personas: Personas, tree: Tree) -> None:
    in_good_standing(personas.secretary_a, tree.village_a, TODAY)
    body = staff(personas.town_staff).get(reverse("portal_staff:rhythm")).content.decode()
    assert "乙村" in body and "甲村" not in body.split("<tbody>")[1] and "丙社区" not in body
    assert "丙社区" in staff(personas.district_admin).get(reverse("portal_staff:rhythm")).content.decode()
    assert staff(personas.secretary_a).get(reverse("portal_staff:rhythm")).status_code == 403


def test_rhythm_page_query_count_is_pinned(personas: Personas, tree: Tree, django_assert_num_queries: Any) -> None:
    client = staff(personas.district_admin)
    # session, user, grants (the workspace navigation reuses them) (3), the villages, and the check's three
    with django_assert_num_queries(7):
        client.get(reverse("portal_staff:rhythm"))
    start, end = rhythm.last_month(TODAY)
    for village in (tree.village_a, tree.village_b, tree.community_c):
        for category in (C.GENERAL, C.FINANCE, C.MAJOR):
            Disclosure.objects.create(
                village=village,
                domain=D.VILLAGE,
                category=category,
                title="t",
                body="b",
                period_start=start,
                period_end=end,
                published_on=end,
                created_by=personas.district_admin,
            )
    # The same count with items for every village: the check does not grow with them.
    with django_assert_num_queries(7):
        client.get(reverse("portal_staff:rhythm"))


def test_other_village_staff_cannot_disclose(personas: Personas, tree: Tree) -> None:
    with pytest.raises(PermissionDenied):
        disclose(personas.secretary_b, tree.village_a, C.GENERAL, TODAY, TODAY)
    response = staff(personas.secretary_b).post(
        reverse("portal_staff:disclosures"),
        {
            "village": tree.village_a.pk,
            "domain": D.VILLAGE,
            "category": C.GENERAL,
            "title": "t",
            "body": "b",
            "period_start": TODAY,
            "period_end": TODAY,
        },
    )
    assert response.status_code == 200 and not Disclosure.objects.exists()


def test_a_disclosure_belongs_to_a_village_and_a_sane_period(personas: Personas, tree: Tree) -> None:
    with pytest.raises(ValidationError):
        disclose(personas.town_staff, tree.town, C.GENERAL, TODAY, TODAY)
    with pytest.raises(ValidationError):
        disclose(personas.secretary_a, tree.village_a, C.GENERAL, TODAY, TODAY - timedelta(days=1))


def test_the_public_list_shows_the_village_items_by_domain(personas: Personas, tree: Tree, django_assert_num_queries: Any) -> None:
    item = disclose(personas.secretary_a, tree.village_a, C.FINANCE, TODAY, TODAY, title="一月财务收支")
    disclose(personas.secretary_a, tree.village_a, C.GENERAL, TODAY, TODAY, domain=D.PARTY, title="党费收缴情况")
    disclose(personas.secretary_b, tree.village_b, C.GENERAL, TODAY, TODAY, title="乙村事项")
    disclose(personas.secretary_a, tree.village_a, C.GENERAL, TODAY, TODAY, published=TODAY + timedelta(days=2), title="明天的事项")
    assert Event.objects.filter(action="portal.disclosure_publish", object_id=str(item.pk)).exists()
    url = reverse("portal:disclosures", args=[tree.village_a.code])
    # the village, the count, the page
    with django_assert_num_queries(3):
        body = Client().get(url).content.decode()
    assert "一月财务收支" in body and "党费收缴情况" in body and "乙村事项" not in body and "明天的事项" not in body
    party = Client().get(url, {"domain": D.PARTY}).content.decode()
    assert "党费收缴情况" in party and "一月财务收支" not in party
    assert Client().get(reverse("portal:disclosures", args=[tree.town.code])).status_code == 404

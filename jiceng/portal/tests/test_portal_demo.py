"""The portal demo: news, comments, disclosures and questions in the Pengjiang demo district, all
through the services (audited), with one village behind its disclosure rhythm. Loading the
district takes a while, so one test checks everything in turn."""

import io
from datetime import timedelta

from django.test import Client
from django.urls import reverse
from django.utils import timezone

from jiceng.audit.models import Event
from jiceng.audit.services import verify
from jiceng.orgs.demo import load_demo
from jiceng.orgs.models import GRASSROOTS_KINDS, Organization
from jiceng.portal import demo, rhythm
from jiceng.portal.models import Article, ArticleStatus, Comment, CommentStatus, Consultation, Disclosure
from jiceng.portal.models import DisclosureCategory as C


def test_the_demo_fills_the_portal_once_through_the_services(db: None) -> None:
    load_demo(stdout=None)
    counts = demo.load(io.StringIO())
    assert counts["articles"] == len(demo.STORIES) and counts["disclosures"] >= 25

    now = timezone.now()
    statuses = set(Article.objects.values_list("status", flat=True))
    assert statuses == set(ArticleStatus.values)
    assert Article.objects.filter(status=ArticleStatus.SCHEDULED, publish_at__gt=now).exists()
    kinds = set(Article.objects.filter(status=ArticleStatus.PUBLISHED).values_list("organization__kind", flat=True))
    assert {"district", "town", "village", "community"} <= kinds
    assert Article.objects.exclude(cover="").count() >= 3
    assert Article.objects.filter(category__isnull=False).values("category").distinct().count() >= 4
    assert not Article.objects.filter(body__contains="<script").exists()
    assert Comment.objects.filter(status=CommentStatus.PENDING).count() == 1
    assert Comment.objects.filter(status=CommentStatus.APPROVED, replies__isnull=False).distinct().count() >= 3
    assert Comment.objects.filter(status=CommentStatus.REJECTED).exclude(reason="").exists()
    assert Consultation.objects.filter(is_public=True).exclude(answer="").exists() and Consultation.objects.filter(answer="").exists()
    # Dated back from today, not all at the moment of loading.
    assert Article.objects.filter(publish_at__lt=now - timedelta(days=10)).exists()
    assert Consultation.objects.filter(created_at__lt=now - timedelta(days=7)).exists()
    # Every row was written by a service: each has its audit event, and the chain holds.
    assert Event.objects.filter(action="portal.disclosure_publish").count() == Disclosure.objects.count()
    assert Event.objects.filter(action="portal.comment_submit").count() == Comment.objects.count()
    assert verify().ok

    # 三堡村 and 雅怡社区 keep the rhythm of domain.md §1.7; 松岭村 misses all three rules.
    # So do the other villages of 棠下镇: the town's rhythm page names only 松岭村.
    town = Organization.objects.get(name="棠下镇")
    places = [
        *Organization.objects.filter(path__startswith=town.path, kind__in=GRASSROOTS_KINDS),
        Organization.objects.get(name="雅怡社区"),
    ]
    misses = {m.village.name: m.problems for m in rhythm.check(places, timezone.localdate())}
    assert set(misses) == {"松岭村"} and len(misses["松岭村"]) == 3
    assert Disclosure.objects.filter(village__name="三堡村", category=C.MAJOR).exists()

    # The portal pages now have something to read.
    sanbao = Organization.objects.get(name="三堡村")
    page = Client().get(reverse("portal:village", args=[sanbao.code])).content.decode()
    assert "三堡村文化广场完成升级改造" in page and "暂无新闻" not in page
    assert "集体物业出租招标结果公开" in Client().get(reverse("portal:disclosures", args=[sanbao.code])).content.decode()
    assert "入学报名" in Client().get(reverse("portal:consult", args=[sanbao.code])).content.decode()

    before = (Article.objects.count(), Disclosure.objects.count(), Consultation.objects.count())
    assert demo.load(io.StringIO()) == {}
    assert (Article.objects.count(), Disclosure.objects.count(), Consultation.objects.count()) == before

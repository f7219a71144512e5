"""The portal's quality bars of issue 6, checked on every public page with content on it:
readable without JavaScript (the content is in the HTML and the portal loads no script), light
(our own HTML, CSS and JS well under ~200 KB a page), and every form field labelled."""

import re
from datetime import timedelta
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from jiceng.conftest import Personas, Tree
from jiceng.decisions.tests.test_notices import published_notice
from jiceng.portal import demo, services
from jiceng.portal.models import Article, ArticleStatus, Comment
from jiceng.portal.models import DisclosureCategory as C
from jiceng.portal.models import DisclosureDomain as D
from jiceng.portal.tests.helpers import comment_by_phone

OWN_BYTES_PER_PAGE = 200 * 1024
TODAY = timezone.localdate()


@pytest.fixture
def pages(personas: Personas, tree: Tree) -> dict[str, tuple[str, str]]:
    """Each public page, with a text that must be in its HTML."""
    actor, village = personas.secretary_a, tree.village_a
    item = services.article_save(
        actor=actor,
        organization=village,
        title="甲村文化广场落成",
        body="<p>广场今天<strong>启用</strong>。</p>",
        cover=demo.banner("blue"),
    )
    services.article_set_status(actor=actor, article=item, status=ArticleStatus.PUBLISHED)
    comment_by_phone(Client(), item, body="灯光很亮")
    comment = Comment.objects.get()
    services.comment_moderate(actor=actor, comment=comment, approve=True)
    services.comment_reply(actor=actor, comment=comment, body="谢谢支持")
    services.disclosure_publish(
        actor=actor,
        village=village,
        domain=D.VILLAGE,
        category=C.FINANCE,
        title="十月财务收支",
        body="收支明细",
        period_start=TODAY,
        period_end=TODAY,
    )
    notice = published_notice(actor, village, title="东片农田发包决议公告", published_on=TODAY - timedelta(days=1))
    code = village.code
    return {
        "home": (reverse("portal:home"), "甲村"),
        "district": (reverse("portal:village", args=[tree.district.code]), "甲村文化广场落成"),
        "town": (reverse("portal:village", args=[tree.town.code]), "甲村文化广场落成"),
        "village": (reverse("portal:village", args=[code]), "东片农田发包决议公告"),
        "news": (reverse("portal:news_list", args=[code]), "甲村文化广场落成"),
        "article": (reverse("portal:article", args=[item.pk]), "谢谢支持"),
        "disclosures": (reverse("portal:disclosures", args=[code]), "十月财务收支"),
        "consult": (reverse("portal:consult", args=[code]), "咨询内容"),
        "verify_form": (reverse("portal:verify_form"), "核验码"),
        "verify": (reverse("portal:verify", args=[notice.code]), "东片农田发包决议公告"),
    }


def test_every_page_reads_without_javascript(pages: dict[str, tuple[str, str]]) -> None:
    for name, (url, text) in pages.items():
        response = Client().get(url)
        body = response.content.decode()
        assert response.status_code == 200, name
        assert text in body, name
        assert "<script" not in body.lower(), name


def _own_assets(body: str) -> list[str]:
    """Stylesheets and scripts the page loads from our static files, vendor packages left out."""
    urls = re.findall(r'<(?:link[^>]+href|script[^>]+src)="(/static/[^"]+)"', body)
    return [u for u in urls if not u.startswith("/static/vendor/")]


def test_no_page_weighs_more_than_200_kb_of_our_own_assets(pages: dict[str, tuple[str, str]]) -> None:
    for name, (url, _) in pages.items():
        body = Client().get(url).content
        assets = _own_assets(body.decode())
        assert assets, name
        total = len(body)
        for asset in assets:
            found = finders.find(asset.removeprefix("/static/"))
            assert found, asset
            total += Path(str(found)).stat().st_size
        assert total < OWN_BYTES_PER_PAGE, (name, total)


def test_covers_are_resized_and_light(pages: dict[str, tuple[str, str]]) -> None:
    item = Article.objects.get()
    response = Client().get(reverse("portal:image", args=[item.pk]))
    image = b"".join(response.streaming_content)  # type: ignore[attr-defined]
    assert response["Content-Type"] == "image/jpeg" and len(image) < 100 * 1024
    assert item.cover.width <= services.COVER_MAX_WIDTH


class _Fields(HTMLParser):
    """The form fields of a page and the ids its labels point to (or fields wrapped in a label)."""

    def __init__(self) -> None:
        super().__init__()
        self.fields: list[dict[str, str | None]] = []
        self.labelled: set[str] = set()
        self.in_label = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "label":
            self.in_label += 1
            if a.get("for"):
                self.labelled.add(a["for"] or "")
        elif tag in ("input", "textarea", "select") and a.get("type") not in ("hidden", "submit", "button"):
            self.fields.append({**a, "wrapped": "1" if self.in_label else None})

    def handle_endtag(self, tag: str) -> None:
        if tag == "label":
            self.in_label -= 1


def test_every_form_field_has_a_label(pages: dict[str, tuple[str, str]]) -> None:
    checked = 0
    for name, (url, _) in pages.items():
        parser = _Fields()
        parser.feed(Client().get(url).content.decode())
        for field in parser.fields:
            assert field["wrapped"] or field.get("id") in parser.labelled or field.get("aria-label"), (name, field)
            checked += 1
    assert checked >= 8  # comment form, consultation form, the code forms

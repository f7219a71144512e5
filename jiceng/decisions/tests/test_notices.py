"""Printable notices (PDF) and the verification logic behind the public page."""

import json
import re
import zlib
from datetime import date, timedelta
from urllib.parse import quote

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from reportlab.lib.rl_accel import asciiBase85Decode
from reportlab.pdfbase.cidfonts import UnicodeCIDFont

from jiceng.accounts.models import Role, User
from jiceng.audit.chain import canonical, digest_function
from jiceng.audit.models import Event
from jiceng.audit.services import verify
from jiceng.conftest import Personas, Tree, make_user
from jiceng.decisions import notices, services
from jiceng.decisions.models import Decision, Notice, NoticeKind, Status
from jiceng.orgs.models import Organization

TODAY = timezone.localdate()
BODY = "经村民代表会议表决通过，东片农田（约120亩）对外发包，期限五年。\n发包底价每亩每年800元。"


def published_notice(
    actor: User,
    village: Organization,
    *,
    kind: str = NoticeKind.RESOLUTION,
    title: str = "东片农田发包决议公告",
    body: str = BODY,
    published_on: date | None = None,
    notice_days: int = 7,
) -> Notice:
    """A notice published through the service, so its row and its ledger event are the real ones.

    The meetings before it are test_procedure.py's business; here the decision is moved straight
    to the status the publication needs.
    """
    decision = services.decision_create(actor=actor, village=village, title=title)
    Decision.objects.filter(pk=decision.pk).update(status=Status.RESOLVED if kind == NoticeKind.RESOLUTION else Status.IMPLEMENTING)
    if kind == NoticeKind.RESULT:
        services.progress_add(actor=actor, decision=decision, on=TODAY - timedelta(days=30), percent=100, text="已完成。")
    return services.notice_publish(
        actor=actor,
        decision=decision,
        kind=kind,
        title=title,
        body=body,
        published_on=published_on or TODAY,
        notice_days=notice_days,
    )


def tamper(sql: str, params: list[str | int]) -> None:
    """Change a row behind the ORM's back, as someone with database access could."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET session_replication_role = replica")  # a superuser bypassing triggers
        cursor.execute(sql, params)
        if connection.vendor == "postgresql":
            cursor.execute("SET session_replication_role = origin")


def pdf_streams(pdf: bytes) -> bytes:
    """The page content streams, decoded (reportlab writes ASCII85 + Flate when compressing)."""
    out = []
    for raw in re.findall(rb"stream\r?\n(.*?)endstream", pdf, re.S):
        data = raw.strip()
        if data.endswith(b"~>"):
            data = zlib.decompress(asciiBase85Decode(data))
        out.append(data)
    return b"\n".join(out)


def cid(text: str) -> bytes:
    """How reportlab writes Chinese text in the content stream (UTF-16BE, PDF-escaped)."""
    return UnicodeCIDFont(notices.FONT).formatForPdf(text).encode("latin-1")


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def notice(personas: Personas, tree: Tree) -> Notice:
    return published_notice(personas.secretary_a, tree.village_a, published_on=date(2026, 3, 2))


# ---- the PDF ------------------------------------------------------------------------------------


def test_it_renders_the_notice_as_an_a4_pdf(personas: Personas, notice: Notice) -> None:
    response = _client(personas.secretary_a).get(reverse("decisions:notice_pdf", args=[notice.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    pdf = response.content
    assert pdf.startswith(b"%PDF") and pdf.rstrip().endswith(b"%%EOF")
    assert b"/MediaBox [ 0 0 595.2756 841.8898 ]" in pdf  # A4
    text = pdf_streams(pdf)
    assert notice.code.encode() in text
    for chinese in ("甲镇 甲村", "决议公开", "东片农田发包决议公告", "公示期：2026年3月2日至2026年3月8日（共7天）", "甲村村民委员会"):
        assert cid(chinese) in text, chinese
    assert notice.content_hash[:16].encode() in text and notice.content_hash[16:20].encode() not in text
    assert cid("扫码或访问") in text and b"http://testserver/p/v/" in text
    # the QR code's link is the code's link: the verification page with the hash fragment
    assert f"/URI (http://testserver/p/v/{notice.code}/?h={notice.content_hash[:12]})".encode() in pdf


def test_it_names_the_file_in_chinese(personas: Personas, notice: Notice) -> None:
    response = _client(personas.secretary_a).get(reverse("decisions:notice_pdf", args=[notice.pk]))
    disposition = response["Content-Disposition"]
    assert disposition.startswith(f'inline; filename="notice-{notice.code}.pdf"')
    assert f"filename*=UTF-8''{quote(f'甲村-决议公开-{notice.code}.pdf')}" in disposition


def test_the_same_notice_gives_the_same_bytes(personas: Personas, notice: Notice) -> None:
    client = _client(personas.secretary_a)
    url = reverse("decisions:notice_pdf", args=[notice.pk])
    assert client.get(url).content == client.get(url).content
    assert b"/CreationDate (D:20000101000000" in client.get(url).content  # reportlab's fixed date, not now


def test_a_long_body_wraps_onto_further_pages(personas: Personas, tree: Tree) -> None:
    body = "\n".join(f"第{i}条：" + "村集体经济组织应当按照民主程序管理集体资产，" * 12 for i in range(40))
    notice = published_notice(personas.secretary_a, tree.village_a, body=body + "\n<b>特此公告 & 欢迎监督</b>")
    pdf = notices.render_pdf(notice, verify_url="https://x/p/v/A/", form_url="https://x/p/v/", compress=False)
    pages = len(re.findall(rb"/Type /Page\b(?!s)", pdf))
    assert pages >= 3
    text = pdf_streams(pdf)
    assert text.count(cid("核验码 ")) == pages  # the footer on every page
    assert cid("<b>特此公告 & 欢迎监督</b>") in text  # markup in the body is printed, not interpreted


def test_a_result_notice_has_its_own_heading(personas: Personas, tree: Tree) -> None:
    result = published_notice(personas.secretary_a, tree.village_a, kind=NoticeKind.RESULT, title="实施结果公开")
    text = pdf_streams(notices.render_pdf(result, verify_url="https://x/", form_url="https://x/p/v/", compress=False))
    assert cid("实施结果公开") in text and cid("决议公开") not in text


def test_a_community_notice_is_signed_by_the_residents_committee(tree: Tree) -> None:
    staff = make_user("secretary_c", Role.VILLAGE_STAFF, tree.community_c)
    notice = published_notice(staff, tree.community_c)
    text = pdf_streams(notices.render_pdf(notice, verify_url="https://x/", form_url="https://x/p/v/", compress=False))
    assert cid("丙社区居民委员会") in text and cid("丙街道 丙社区") in text


@pytest.mark.parametrize("who", ["town_staff", "district_admin"])
def test_the_town_and_district_print_their_villages_notices(personas: Personas, notice: Notice, who: str) -> None:
    response = _client(getattr(personas, who)).get(reverse("decisions:notice_pdf", args=[notice.pk]))
    assert response.status_code == 200


@pytest.mark.parametrize("who", ["secretary_b", "member", "auditor", "outsider"])
def test_others_get_the_same_404_as_for_a_missing_notice(personas: Personas, notice: Notice, who: str) -> None:
    client = _client(getattr(personas, who))
    assert client.get(reverse("decisions:notice_pdf", args=[notice.pk])).status_code == 404
    assert client.get(reverse("decisions:notice_pdf", args=[notice.pk + 1000])).status_code == 404


def test_anonymous_users_are_sent_to_login(notice: Notice) -> None:
    response = Client().get(reverse("decisions:notice_pdf", args=[notice.pk]))
    assert response.status_code == 302 and "/login/" in response["Location"]


# ---- verification -------------------------------------------------------------------------------


def test_a_genuine_notice_is_consistent(notice: Notice) -> None:
    found = notices.find(notice.code.lower())
    assert found == notice
    result = notices.check(found, notice.content_hash[:12])
    assert result.consistent and result.verdict == notices.CONSISTENT and result.ledger_hash == notice.content_hash
    assert verify().ok


def test_a_notice_altered_in_the_database_is_not(notice: Notice) -> None:
    tamper("UPDATE decisions_notice SET body = %s WHERE id = %s", ["发包底价每亩每年500元。", notice.pk])
    result = notices.check(notices.find(notice.code))  # type: ignore[arg-type]
    assert not result.consistent and result.verdict == notices.TAMPERED
    assert "公告记录被改动：现有内容与其登记的哈希不符。" in result.problems


def test_a_notice_altered_with_a_fresh_hash_still_disagrees_with_the_ledger(notice: Notice) -> None:
    body = "发包底价每亩每年500元。"
    fresh = services.notice_hash(
        village_code="440799100201",
        decision_id=notice.decision_id,
        kind=notice.kind,
        title=notice.title,
        body=body,
        published_on=notice.published_on,
        notice_days=notice.notice_days,
    )
    tamper("UPDATE decisions_notice SET body = %s, content_hash = %s WHERE id = %s", [body, fresh, notice.pk])
    result = notices.check(notices.find(notice.code))  # type: ignore[arg-type]
    assert result.problems == ("公告现有内容与审计账本中登记的哈希不符。",)


def test_moving_a_decision_to_another_village_changes_its_hash(notice: Notice, tree: Tree) -> None:
    tamper("UPDATE decisions_decision SET village_id = %s WHERE id = %s", [tree.village_b.pk, notice.decision_id])
    assert not notices.check(notices.find(notice.code)).consistent  # type: ignore[arg-type]


def test_a_changed_code_has_no_ledger_record(notice: Notice) -> None:
    tamper("UPDATE decisions_notice SET code = %s WHERE id = %s", ["ZZZZ9999", notice.pk])
    result = notices.check(notices.find("ZZZZ9999"))  # type: ignore[arg-type]
    assert result.problems == ("审计账本中没有该核验码的发布记录。",)


def test_an_altered_ledger_event_is_noticed(notice: Notice) -> None:
    event = Event.objects.get(action="decision.publish_resolution", object_id=str(notice.decision_id))
    tamper(
        "UPDATE audit_event SET changes = %s WHERE seq = %s",
        [json.dumps({"notice": notice.code, "content_hash": "0" * 64}), event.seq],
    )
    result = notices.check(notice)
    assert "审计账本中的发布记录已被改动。" in result.problems and not result.consistent


def test_an_event_rewritten_with_a_fresh_hash_breaks_the_chain(personas: Personas, tree: Tree, notice: Notice) -> None:
    event = Event.objects.get(action="decision.publish_resolution", object_id=str(notice.decision_id))
    assert notices.event_intact(event)  # the last event: checked against the ledger head
    published_notice(personas.secretary_a, tree.village_a, title="后来的决议")
    assert notices.event_intact(event) and notices.check(notice).consistent  # now against the next event's back link
    changes = {"notice": notice.code, "content_hash": "0" * 64, "status": event.changes["status"], "notice_days": 7}
    fields = {f: getattr(event, f) for f in ("seq", "at", "actor_id", "actor_label", "org_path", "action", "object_type", "object_id")}
    forged = digest_function()(canonical(**fields, changes=changes, prev_hash=event.prev_hash))
    tamper("UPDATE audit_event SET changes = %s, hash = %s WHERE seq = %s", [json.dumps(changes), forged, event.seq])
    result = notices.check(notice)
    assert "审计账本中的发布记录已被改动。" in result.problems and "公告现有内容与审计账本中登记的哈希不符。" in result.problems


@pytest.mark.parametrize("printed", ["0" * 12, "abc", "zzzzzzzzzzzz", "%s" * 3])
def test_a_wrong_or_unusable_printed_hash_is_not_consistent(notice: Notice, printed: str) -> None:
    result = notices.check(notice, printed)
    assert not result.consistent and result.problems == ("打印件二维码中的哈希与登记不符：打印件可能被改动或替换。",)


def test_the_printed_hash_may_be_upper_case_or_the_whole_hash(notice: Notice) -> None:
    assert notices.check(notice, notice.content_hash[:12].upper()).consistent
    assert notices.check(notice, notice.content_hash).consistent
    assert notices.check(notice, "").consistent  # no fragment: nothing printed to compare


@pytest.mark.parametrize("typed", [" abcd-2345 ", "ABCD 2345", "ａｂｃｄ－２３４５", "abcd\u20142345", "ABCD2345"])
def test_codes_are_read_as_residents_type_them(typed: str) -> None:
    assert notices.normalize_code(typed) == "ABCD2345"


def test_unknown_and_overlong_codes_find_nothing(notice: Notice, django_assert_num_queries) -> None:  # type: ignore[no-untyped-def]
    assert notices.find("ABCDEFGH") is None
    with django_assert_num_queries(0):
        assert notices.find("A" * 13) is None and notices.find(" - ") is None


def test_the_notice_period_is_shown_from_its_dates(notice: Notice) -> None:
    assert notices.last_day(notice) == date(2026, 3, 8)
    assert notices.state(notice, date(2026, 3, 1)) == "尚未开始公示"
    assert notices.state(notice, date(2026, 3, 8)) == "公示中"
    assert notices.state(notice, date(2026, 3, 9)) == "公示期已满"

"""The fast verifier (raw rows, spans, processes), checkpoints and the auditor's background check."""

import json
import random
from datetime import UTC, datetime, timedelta
from io import StringIO
from typing import Any
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from jiceng.accounts.models import Role, User
from jiceng.audit.chain import GENESIS, encode, encode_acyclic, encode_fast
from jiceng.audit.models import Checkpoint, Event, LedgerHead
from jiceng.audit.services import FULL_CHECK_WORKERS, check_run, recompute_hash, record, routine_base, verify
from jiceng.audit.tests.ledger_helpers import events as _events
from jiceng.audit.tests.ledger_helpers import tamper as _tamper
from jiceng.audit.verification import ranges, verify_from, verify_full, verify_span
from jiceng.conftest import Personas, Tree, make_user

pytestmark = pytest.mark.django_db

# Shapes of `changes` whose canonical JSON is easy to get wrong: non-ASCII, escapes, nesting, numbers.
AWKWARD_CHANGES: list[dict[str, object]] = [
    {},
    {"名称": ["甲村", "乙村"], "emoji": "党建🇨🇳", "quote": 'a"b\\c', "ctl": "line\nnext\ttab\x01"},
    {"nested": {"z": [1, {"b": None, "a": True}], "a": {"deeper": [[], {}]}}, "B": 1, "a": 2, "中": 3},
    {"int": -12345678901234567, "float": 3.14159, "small": 1e-05, "tiny": -2.5e-300, "zero": 0, "false": False},
    {"decimal_as_text": "1234.50", "date": "2026-11-29", "list": [1.0, 2.5, -0.5]},
]

AWKWARD_TEXT = 'a"b\\c/\b\f\n\r\t\x01\x1f\x7f\u2028 中文🇨🇳'


def test_raw_rows_hash_exactly_what_record_hashed(tree: Tree, personas: Personas) -> None:
    """record() hashed Python values; the verifier rebuilds the bytes from database text. They must agree."""
    at_zero_micro = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    with transaction.atomic():
        for changes in AWKWARD_CHANGES:
            record(actor=personas.auditor, action="test.awkward", org=tree.village_a, changes=changes)
            record(actor=None, action="test.awkward", changes=changes)
        with timezone.override(ZoneInfo("Asia/Shanghai")):  # the active zone must not leak into the hash
            record(actor=personas.auditor, action="test.shanghai", obj=tree.village_a, changes={"n": 1})
        with mock.patch("jiceng.audit.services.timezone.now", return_value=at_zero_micro):
            record(actor=None, action="test.whole_second")  # SQLite stores this without ".000000"
        # The database quotes the plain columns itself: it must escape exactly as json.dumps does.
        record(actor=None, action=AWKWARD_TEXT, changes={AWKWARD_TEXT: AWKWARD_TEXT})
    total = len(AWKWARD_CHANGES) * 2 + 3
    assert Event.objects.filter(actor=None).count() == len(AWKWARD_CHANGES) + 2
    span = verify_span(1, total, batch=3)
    assert (span.checked, span.broken_seq) == (total, None)
    # The old model-instance path agrees event by event.
    assert all(recompute_hash(event) == event.hash for event in Event.objects.all())


@pytest.mark.skipif(connection.vendor != "postgresql", reason="jsonb rewrites numbers; SQLite keeps the JSON text")
@pytest.mark.parametrize("value", [1.5e300, 1e16, -1e17, -0.0, 1e-7, 0.1])
def test_floats_that_jsonb_rewrites_still_verify(value: float) -> None:
    """jsonb gives 1e+16 back as 10000000000000000 and -0.0 as 0.0; record() hashes that spelling."""
    with transaction.atomic():
        record(actor=None, action="test.float", changes={"value": value})
    assert verify().ok


def test_the_verifiers_encoder_writes_what_record_writes() -> None:
    values = [*AWKWARD_CHANGES, AWKWARD_TEXT, 1.5e300, -0.0, float("nan"), float("-inf"), [None, True, 2, "3"]]
    for value in values:
        assert encode_acyclic([1, value, {"z": value, "a": [value]}]) == encode([1, value, {"z": value, "a": [value]}])


def _random_json(rng: random.Random, depth: int = 0) -> Any:
    """Strings with escapes, non-BMP and separator characters, 64-bit integers, nesting: no floats."""
    chars = [chr(c) for c in [*range(0x80), 0x9F, 0xA0, 0x2028, 0x4E2D, 0xFEFF, 0xFFFF, 0x1F600]]
    text = "".join(rng.choice(chars) for _ in range(rng.randint(0, 10)))
    kind = rng.randint(0, 5 if depth < 3 else 2)
    if kind == 0:
        return text
    if kind == 1:
        return rng.randint(-(2**63), 2**63 - 1)
    if kind == 2:
        return rng.choice([None, True, False, 0, -1])
    if kind == 3:
        return [_random_json(rng, depth + 1) for _ in range(rng.randint(0, 4))]
    return {text + str(i): _random_json(rng, depth + 1) for i in range(rng.randint(0, 4))}


def test_the_fast_encoder_writes_the_canonical_bytes_for_everything_but_floats() -> None:
    rng = random.Random(2026)
    for _ in range(5_000):
        value = _random_json(rng)
        row = [7, "2026-11-29T05:40:00.000001+00:00", None, "陈", "0001", "a", "b", "1", json.dumps(value), "0" * 64]
        assert encode_fast(row) == encode_acyclic([*row[:8], value, row[9]]).encode()


def test_events_the_fast_encoder_spells_differently_still_verify() -> None:
    """orjson writes 1e-05 as 0.00001 and reads integers past 64 bits as floats; the reference encoding decides."""
    with transaction.atomic():
        record(actor=None, action="test.float", changes={"small": 1e-05, "pi": 3.14159})
        record(actor=None, action="test.bigint", changes={"big": 2**70, "neg": -(2**65)})
    row = [1, "", None, "", "", "", "", "", '{"big": 1180591620717411303424}', ""]
    assert encode_fast(row) != encode_acyclic([*row[:8], {"big": 2**70}, ""]).encode()
    assert verify().ok
    _tamper("UPDATE audit_event SET changes = %s WHERE seq = 2", ['{"big": 1180591620717411303425, "neg": -36893488147419103232}'])
    assert verify().broken_seq == 2


def test_a_one_character_change_in_changes_is_caught() -> None:
    with transaction.atomic():
        for changes in AWKWARD_CHANGES:
            record(actor=None, action="test.awkward", changes=changes)
    _tamper(
        "UPDATE audit_event SET changes = %s WHERE seq = 2",
        ['{"名称": ["甲村", "丙村"], "emoji": "党建🇨🇳", "quote": "a\\"b\\\\c", "ctl": "line\\nnext\\ttab\\u0001"}'],
    )
    assert verify().broken_seq == 2


def test_a_shifted_timestamp_is_caught() -> None:
    _events(3)
    _tamper("UPDATE audit_event SET at = %s WHERE seq = 2", [Event.objects.get(seq=2).at.replace(microsecond=0)])
    result = verify()
    assert (result.broken_seq, result.checked) == (2, 1)


def test_ranges_cover_every_event_once() -> None:
    assert ranges(1, 10, 3, min_span=1) == [(1, 4), (5, 8), (9, 10)]
    assert ranges(1, 10, 4, min_span=6) == [(1, 6), (7, 10)]
    assert ranges(5, 5, 4, min_span=1) == [(5, 5)] and ranges(1, 0, 2) == []


@pytest.mark.parametrize(
    ("sql", "params", "broken"),
    [
        ("UPDATE audit_event SET action = 'forged' WHERE seq = 5", [], 5),  # inside a span
        ("UPDATE audit_event SET action = 'forged' WHERE seq = 7", [], 7),  # first event of a span
        ("UPDATE audit_event SET prev_hash = %s WHERE seq = 7", ["e" * 64], 7),  # the border link itself
        ("UPDATE audit_event SET hash = %s WHERE seq = 6", ["f" * 64], 6),  # last event of a span
        ("DELETE FROM audit_event WHERE seq = 6", [], 6),  # a span cut short
        ("DELETE FROM audit_event WHERE seq = 7", [], 7),  # a span starting late
        ("DELETE FROM audit_event WHERE seq = 12", [], 12),  # the tail
    ],
)
def test_spans_joined_report_what_one_pass_reports(sql: str, params: list[Any], broken: int) -> None:
    _events(12)
    _tamper(sql, params)
    whole = verify()
    # Inside a test transaction the spans run in this process, but they are still cut and joined.
    split = verify_full(workers=2, min_span=3)
    assert whole.broken_seq == broken
    assert (split.broken_seq, split.checked, split.reason) == (whole.broken_seq, whole.checked, whole.reason)


def test_events_beyond_the_head_are_reported() -> None:
    _events(3)
    LedgerHead.objects.filter(id=1).update(seq=2)
    result = verify()
    assert (result.broken_seq, result.checked) == (3, 2) and "账本头只记到第 2 条" in result.reason


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="worker processes need a shared PostgreSQL database")
def test_worker_processes_verify_and_find_the_break() -> None:
    _events(40)
    result = verify_full(workers=2, min_span=7)
    assert result.ok and result.checked == 40 and result.last_hash == LedgerHead.objects.get().hash
    _tamper("UPDATE audit_event SET changes = %s WHERE seq = 30", ['{"i": 0}'])
    broken = verify_full(workers=2, min_span=7)
    assert (broken.broken_seq, broken.checked) == (30, 29)
    assert Event.objects.count() == 40  # the parent's connection still works after the workers


def test_routine_check_starts_at_the_last_good_checkpoint() -> None:
    _events(10)
    full = check_run(Checkpoint.objects.create(mode=Checkpoint.Mode.FULL, requested_at=timezone.now()))
    assert (full.status, full.checked, full.seq, full.hash) == ("ok", 10, 10, Event.objects.get(seq=10).hash)
    _events(5)
    routine = check_run(Checkpoint.objects.create(mode=Checkpoint.Mode.ROUTINE, requested_at=timezone.now()))
    # The checkpoint's own event is re-hashed, then only the five new ones.
    assert (routine.status, routine.from_seq, routine.checked, routine.seq) == ("ok", 10, 6, 15)
    assert routine_base() == (15, Event.objects.get(seq=15).hash)


def test_tampering_before_the_checkpoint_needs_the_full_check() -> None:
    """The documented trade-off: the routine check trusts events before its checkpoint."""
    _events(10)
    assert verify_from(0, GENESIS).ok
    seq, hash_ = 8, Event.objects.get(seq=8).hash
    _tamper("UPDATE audit_event SET action = 'forged' WHERE seq = 3", [])
    assert verify_from(seq, hash_).ok
    assert verify().broken_seq == 3


def test_routine_check_catches_the_checkpoint_event_and_later_ones() -> None:
    _events(10)
    hash_ = Event.objects.get(seq=8).hash
    _tamper("UPDATE audit_event SET action = 'forged' WHERE seq = 9", [])
    assert verify_from(8, hash_).broken_seq == 9
    assert verify_from(8, "d" * 64).broken_seq == 8  # the checkpoint record and the event disagree
    _tamper("UPDATE audit_event SET action = 'forged' WHERE seq = 8", [])
    assert verify_from(8, hash_).broken_seq == 8


def test_routine_check_notices_a_tail_cut_below_the_checkpoint() -> None:
    _events(10)
    hash_ = Event.objects.get(seq=8).hash
    _tamper("DELETE FROM audit_event WHERE seq > 6", [])
    LedgerHead.objects.filter(id=1).update(seq=6, hash=Event.objects.get(seq=6).hash)
    result = verify_from(8, hash_)
    assert result.broken_seq == 7 and "尾部被截掉" in result.reason


def test_after_a_break_routine_checks_restart_below_it() -> None:
    _events(10)
    check_run(Checkpoint.objects.create(mode=Checkpoint.Mode.FULL, requested_at=timezone.now()))
    _events(2)
    check_run(Checkpoint.objects.create(mode=Checkpoint.Mode.ROUTINE, requested_at=timezone.now()))
    assert routine_base()[0] == 12
    Checkpoint.objects.create(mode=Checkpoint.Mode.FULL, requested_at=timezone.now(), status=Checkpoint.Status.BROKEN, broken_seq=11)
    assert routine_base()[0] == 10


def test_the_command_runs_routine_then_full_checks_and_stores_them() -> None:
    _events(6)
    out = StringIO()
    call_command("verify_ledger", stdout=out)  # no checkpoint yet: from the first event
    call_command("verify_ledger", stdout=out)
    call_command("verify_ledger", "--full", "--workers", "2", stdout=out)
    assert out.getvalue().count("ledger intact") == 3
    assert "6 events verified (routine, #1..#6" in out.getvalue() and "1 events verified (routine, #6..#6" in out.getvalue()
    rows = list(Checkpoint.objects.order_by("pk").values_list("mode", "status", "checked", "verified_by"))
    assert rows == [("routine", "ok", 6, None), ("routine", "ok", 1, None), ("full", "ok", 6, None)]
    _tamper("UPDATE audit_event SET action = 'forged' WHERE seq = 6", [])
    with pytest.raises(CommandError, match="#6"):
        call_command("verify_ledger")
    assert Checkpoint.objects.order_by("-pk").values_list("status", "broken_seq").first() == ("broken", 6)
    with pytest.raises(CommandError, match="at least 1"):
        call_command("verify_ledger", "--full", "--workers", "0")


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_auditor_starts_a_check_that_runs_off_the_request(personas: Personas, django_capture_on_commit_callbacks) -> None:  # type: ignore[no-untyped-def]
    _events(3)
    client = _client(personas.auditor)
    page = client.get(reverse("audit:ledger")).content.decode()
    assert "尚未校验过哈希链" in page and 'value="full"' in page
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = client.post(reverse("audit:verify"), {"mode": "full"}, headers={"HX-Request": "true"})
    assert response.status_code == 200 and len(callbacks) == 1
    check = Checkpoint.objects.get()
    assert (check.mode, check.status, check.checked, check.verified_by) == ("full", "ok", 4, personas.auditor)
    event = Event.objects.get(action="audit.verify")
    assert (event.actor, event.object_type, event.object_id) == (personas.auditor, "audit.checkpoint", str(check.pk))
    assert "哈希链完整，已校验 4 条事件" in client.get(reverse("audit:verify")).content.decode()
    assert "哈希链完整" in client.get(reverse("audit:ledger")).content.decode()


def test_a_second_check_waits_for_the_running_one(personas: Personas) -> None:
    client = _client(personas.auditor)
    client.post(reverse("audit:verify"), {"mode": "routine"})  # on_commit never fires here: it stays queued
    check = Checkpoint.objects.get()
    assert check.status == "queued"
    page = client.get(reverse("audit:ledger")).content.decode()
    assert 'hx-trigger="every 3s"' in page and 'value="full"' not in page
    response = client.post(reverse("audit:verify"), {"mode": "full"}, headers={"HX-Request": "true"})
    assert "已有一次校验在进行中" in response.content.decode()
    assert Checkpoint.objects.count() == 1 and Event.objects.filter(action="audit.verify").count() == 1
    Checkpoint.objects.filter(pk=check.pk).update(requested_at=timezone.now() - timedelta(hours=2))
    client.post(reverse("audit:verify"), {"mode": "full"})  # a check stuck for hours no longer blocks
    assert Checkpoint.objects.count() == 2


def test_a_bad_mode_is_refused_in_chinese(personas: Personas) -> None:
    response = _client(personas.auditor).post(reverse("audit:verify"), {"mode": "everything"}, follow=True)
    assert "未知的校验方式" in response.content.decode() and not Checkpoint.objects.exists()


def test_only_a_root_auditor_sees_and_starts_checks(tree: Tree) -> None:
    town_auditor = make_user("town_auditor", Role.AUDITOR, tree.town)
    client = _client(town_auditor)
    page = client.get(reverse("audit:ledger"))
    assert page.status_code == 200 and 'name="mode"' not in page.content.decode()
    assert client.get(reverse("audit:verify")).status_code == 403
    assert client.post(reverse("audit:verify"), {"mode": "full"}).status_code == 403
    assert not Checkpoint.objects.exists()


def test_the_ledger_page_query_count_does_not_grow(personas: Personas, django_assert_max_num_queries) -> None:  # type: ignore[no-untyped-def]
    """Session, user, grants, count, page of events, last check and running check: 7, whatever the sizes."""
    _events(3, personas.auditor)
    check_run(Checkpoint.objects.create(mode=Checkpoint.Mode.FULL, requested_at=timezone.now(), verified_by=personas.auditor))
    client = _client(personas.auditor)
    with django_assert_max_num_queries(7):
        assert "哈希链完整" in client.get(reverse("audit:ledger")).content.decode()
    _events(40, personas.auditor)
    for _ in range(3):
        check_run(Checkpoint.objects.create(mode=Checkpoint.Mode.ROUTINE, requested_at=timezone.now(), verified_by=personas.auditor))
    client = _client(personas.auditor)
    with django_assert_max_num_queries(7):
        client.get(reverse("audit:ledger"))


def test_a_check_that_crashes_is_stored_as_failed() -> None:
    _events(2)
    checkpoint = Checkpoint.objects.create(mode=Checkpoint.Mode.FULL, requested_at=timezone.now())
    with mock.patch("jiceng.audit.services.verify_full", side_effect=OSError("disk gone")), pytest.raises(OSError):
        check_run(checkpoint)
    checkpoint.refresh_from_db()
    assert (checkpoint.status, checkpoint.reason) == ("failed", "OSError: disk gone") and checkpoint.verified_at
    assert routine_base() == (0, GENESIS)


@pytest.mark.django_db(transaction=True, databases=["default"])
@pytest.mark.skipif(connection.vendor != "postgresql", reason="the worker's processes need a shared PostgreSQL database")
def test_with_the_database_backend_the_worker_runs_the_check(personas: Personas, settings) -> None:  # type: ignore[no-untyped-def]
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    _events(5)
    _client(personas.auditor).post(reverse("audit:verify"), {"mode": "full"})
    assert Checkpoint.objects.get().status == "queued"  # the request only queued it
    call_command("db_worker", "--batch", "--no-startup-delay", stdout=StringIO(), stderr=StringIO())
    check = Checkpoint.objects.get()
    assert (check.status, check.checked, check.workers) == ("ok", 6, FULL_CHECK_WORKERS)

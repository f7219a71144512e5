"""The audit ledger: append-only, hash-chained, verifiable, race-safe."""

import threading
from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction
from django.test import Client
from django.urls import reverse

from jiceng.audit.models import Event, LedgerError
from jiceng.audit.services import record, verify
from jiceng.audit.tests.ledger_helpers import events as _events
from jiceng.audit.tests.ledger_helpers import tamper as _tamper
from jiceng.conftest import Personas, Tree
from jiceng.lib import paging

pytestmark = pytest.mark.django_db


def test_it_verifies_an_intact_chain() -> None:
    _events(5)
    result = verify(batch=2)  # pages across batch boundaries
    assert result.ok and result.checked == 5
    out = StringIO()
    call_command("verify_ledger", "--full", stdout=out)
    assert "5 events verified" in out.getvalue()


def test_it_names_the_first_tampered_event() -> None:
    _events(5)
    _tamper("UPDATE audit_event SET changes = %s WHERE seq = 3", ['{"i": 99, "名称": "甲村"}'])
    result = verify()
    assert not result.ok and result.broken_seq == 3 and result.checked == 2
    with pytest.raises(CommandError, match="#3"):
        call_command("verify_ledger")


def test_it_names_a_deleted_event() -> None:
    _events(4)
    _tamper("DELETE FROM audit_event WHERE seq = 2", [])
    result = verify()
    assert (result.broken_seq, result.checked) == (2, 1) and "第 2 条事件缺失" in result.reason


def test_it_notices_a_truncated_tail() -> None:
    _events(4)
    _tamper("DELETE FROM audit_event WHERE seq = 4", [])
    result = verify()
    assert not result.ok and result.broken_seq == 4 and result.checked == 3


def test_it_notices_a_rehashed_event_by_the_next_link() -> None:
    _events(3)
    _tamper("UPDATE audit_event SET hash = %s WHERE seq = 1", ["f" * 64])
    assert verify().broken_seq == 1


def test_the_orm_refuses_updates_and_deletes() -> None:
    _events(1)
    event = Event.objects.get()
    event.action = "forged"
    with pytest.raises(LedgerError):
        event.save()
    with pytest.raises(LedgerError):
        event.delete()
    with pytest.raises(LedgerError):
        Event.objects.all().update(action="forged")
    with pytest.raises(LedgerError):
        Event.objects.all().delete()
    assert Event.objects.get().action == "test.event"


@pytest.mark.django_db(transaction=True)
def test_it_must_run_inside_the_changes_transaction() -> None:
    with pytest.raises(RuntimeError):
        record(actor=None, action="outside")


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the trigger exists on PostgreSQL only")
def test_the_database_refuses_updates_and_deletes_on_postgresql() -> None:
    _events(1)
    for sql in ("UPDATE audit_event SET action = 'x'", "DELETE FROM audit_event"):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql)
    assert Event.objects.count() == 1


def test_it_chains_with_sm3_by_setting(settings) -> None:  # type: ignore[no-untyped-def]
    settings.LEDGER_HASH = "sm3"
    _events(3)
    assert verify().ok
    sha_event = Event.objects.first()
    settings.LEDGER_HASH = "sha256"
    assert not verify().ok and sha_event is not None


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite serializes writers anyway")
def test_concurrent_writers_never_fork_the_chain() -> None:
    errors: list[BaseException] = []

    def write(n: int) -> None:
        try:
            for _ in range(n):
                with transaction.atomic():
                    record(actor=None, action="race")
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=write, args=(10,)) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    result = verify()
    assert result.ok and result.checked == 40
    assert sorted(Event.objects.values_list("seq", flat=True)) == list(range(1, 41))


def _client(user: object) -> Client:
    client = Client()
    client.force_login(user)  # type: ignore[arg-type]
    return client


def test_the_auditor_reads_but_cannot_change(personas: Personas, tree: Tree) -> None:
    _events(2)
    client = _client(personas.auditor)
    assert "test.event" in client.get(reverse("audit:ledger")).content.decode()
    assert client.post(reverse("audit:ledger")).status_code == 405
    assert client.get(reverse("orgs:people")).status_code == 403  # the auditor sees no personal data


def test_the_ledger_page_counts_up_to_the_cap(personas: Personas, tree: Tree, settings: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """The ledger is paged with a capped count (lib.paging): the whole ledger is 10 M events at province scale."""
    settings.PAGE_SIZE = 3
    monkeypatch.setattr(paging, "COUNT_CAP", 5)
    _events(8)
    body = _client(personas.auditor).get(reverse("audit:ledger")).content.decode()
    assert "第 1 页，超过 5 条" in body and "page=2" in body
    assert body.count("test.event") == 3


@pytest.mark.parametrize("who", ["district_admin", "secretary_a", "member", "outsider"])
def test_only_the_auditor_opens_the_ledger(personas: Personas, who: str) -> None:
    client = _client(getattr(personas, who))
    assert client.get(reverse("audit:ledger")).status_code == 403
    assert client.get(reverse("audit:verify")).status_code == 403
    assert client.post(reverse("audit:verify"), {"mode": "full"}).status_code == 403

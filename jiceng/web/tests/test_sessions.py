"""登录连接超时 (domain.md §9.3) with a session row renewed at most once a minute (jiceng/web/sessions.py)."""

from datetime import timedelta

from django.conf import settings
from django.contrib.sessions.models import Session
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from jiceng.conftest import PASSWORD, Personas, Tree
from jiceng.web.sessions import RENEW_AFTER

AGE = timedelta(seconds=settings.SESSION_COOKIE_AGE)


def _signed_in(personas: Personas) -> tuple[Client, Session]:
    client = Client()
    assert client.post(reverse("login"), {"username": personas.secretary_a.username, "password": PASSWORD}).status_code == 302
    return client, Session.objects.get(session_key=client.cookies[settings.SESSION_COOKIE_NAME].value)


def _session_writes(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return sum('"django_session"' in q["sql"] and not q["sql"].startswith("SELECT") for q in ctx.captured_queries)


def _age_by(session: Session, idle: timedelta) -> None:
    """Pretend the row was last renewed `idle` ago."""
    Session.objects.filter(pk=session.pk).update(expire_date=timezone.now() + AGE - idle)


def test_the_idle_timeout_is_thirty_minutes_renewed_within_a_minute() -> None:
    assert settings.SESSION_COOKIE_AGE == 30 * 60
    assert settings.SESSION_ENGINE == "jiceng.web.sessions" and timedelta(minutes=1) == RENEW_AFTER


def test_a_request_within_the_minute_does_not_write_the_session(personas: Personas, tree: Tree) -> None:
    client, _ = _signed_in(personas)
    assert _session_writes(client, reverse("home")) == 0


def test_a_request_after_the_minute_moves_the_expiry_to_thirty_minutes_from_now(personas: Personas, tree: Tree) -> None:
    client, session = _signed_in(personas)
    _age_by(session, RENEW_AFTER + timedelta(seconds=5))
    before = timezone.now()
    assert _session_writes(client, reverse("home")) == 1
    renewed = Session.objects.get(pk=session.pk).expire_date
    assert before + AGE <= renewed <= timezone.now() + AGE
    assert _session_writes(client, reverse("home")) == 0


def test_thirty_idle_minutes_end_the_session(personas: Personas, tree: Tree) -> None:
    client, session = _signed_in(personas)
    Session.objects.filter(pk=session.pk).update(expire_date=timezone.now() - timedelta(seconds=1))
    response = client.get(reverse("home"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_an_active_user_stays_signed_in_past_thirty_minutes(personas: Personas, tree: Tree) -> None:
    client, session = _signed_in(personas)
    # 29 minutes since the last renewal, a request now renews it: the session outlives the first 30 minutes.
    _age_by(session, AGE - timedelta(minutes=1))
    assert client.get(reverse("home")).status_code == 200
    assert Session.objects.get(pk=session.pk).expire_date > timezone.now() + AGE - RENEW_AFTER


def test_changes_to_the_session_are_still_saved_at_once(personas: Personas, tree: Tree) -> None:
    client, session = _signed_in(personas)
    grant = personas.secretary_a.grants.get()
    client.post(reverse("switch_grant"), {"grant_id": grant.pk})
    assert Session.objects.get(pk=session.pk).get_decoded()["grant_id"] == grant.pk


def test_logout_ends_the_session_on_the_server(personas: Personas, tree: Tree) -> None:
    client, session = _signed_in(personas)
    stolen = Client()
    stolen.cookies[settings.SESSION_COOKIE_NAME] = session.session_key
    client.post(reverse("logout"))
    assert not Session.objects.filter(pk=session.pk).exists()
    assert stolen.get(reverse("home")).status_code == 302

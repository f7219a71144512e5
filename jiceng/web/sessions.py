"""Database sessions whose idle expiry is renewed at most once a minute.

登录连接超时自动退出 (domain.md §9.3): a session ends after SESSION_COOKIE_AGE idle seconds. Django's
SESSION_SAVE_EVERY_REQUEST enforces that by rewriting the session row on every request. Here the row
is rewritten only when its stored expiry would move by more than RENEW_AFTER, so a busy user costs
one write a minute instead of one per request. The session then ends between SESSION_COOKIE_AGE -
RENEW_AFTER and SESSION_COOKIE_AGE after the last request: never later than the rule allows.
Logout and expiry stay server-side (the row is deleted or its expire_date passes).

Used as SESSION_ENGINE = "jiceng.web.sessions" with jiceng.web.sessions.SessionMiddleware in place of
Django's.
"""

from datetime import datetime, timedelta
from typing import Any

from django.contrib.sessions.backends.db import SessionStore as DbSessionStore
from django.contrib.sessions.middleware import SessionMiddleware as DjangoSessionMiddleware
from django.http import HttpRequest, HttpResponse

RENEW_AFTER = timedelta(minutes=1)


class SessionStore(DbSessionStore):
    """The database store, remembering the expiry it read so the middleware can tell if renewal is due."""

    stored_expiry: datetime | None = None

    def _get_session_from_db(self) -> Any:
        row = super()._get_session_from_db()  # type: ignore[misc]  # not declared in django-stubs
        self.stored_expiry = row.expire_date if row is not None else None
        return row

    def renewal_due(self) -> bool:
        """Would saving now move the stored expiry by more than RENEW_AFTER?"""
        self.keys()  # reading loads the row (and its expiry) if this request has not yet
        if self.stored_expiry is None:
            return False  # no row: a new, expired or unknown session, nothing to renew
        return self.get_expiry_date() - self.stored_expiry > RENEW_AFTER


class SessionMiddleware(DjangoSessionMiddleware):
    """Django's session middleware, plus a save when the idle expiry is due for renewal."""

    def process_response(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        session = getattr(request, "session", None)
        if isinstance(session, SessionStore) and not session.modified and not session.is_empty() and session.renewal_due():
            session.modified = True
        return super().process_response(request, response)

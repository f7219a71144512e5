from django.http import HttpRequest
from django_htmx.middleware import HtmxDetails

from jiceng.accounts.models import User


class AuthedRequest(HttpRequest):
    """The request type of views behind @login_required: the user is a real account."""

    user: User  # type: ignore[assignment]
    htmx: HtmxDetails

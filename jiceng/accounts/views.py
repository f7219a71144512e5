from django.http import HttpRequest, HttpResponse


def tokens(request: HttpRequest) -> HttpResponse:
    raise NotImplementedError


def token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    raise NotImplementedError

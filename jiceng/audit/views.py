from django.http import HttpRequest, HttpResponse


def ledger(request: HttpRequest) -> HttpResponse:
    raise NotImplementedError


def verify_view(request: HttpRequest) -> HttpResponse:
    raise NotImplementedError

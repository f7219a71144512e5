from django.http import HttpRequest, HttpResponse


def tree(request: HttpRequest) -> HttpResponse:
    raise NotImplementedError


def org_detail(request: HttpRequest, pk: int) -> HttpResponse:
    raise NotImplementedError


def org_children(request: HttpRequest, pk: int) -> HttpResponse:
    raise NotImplementedError


def people(request: HttpRequest) -> HttpResponse:
    raise NotImplementedError


def person_detail(request: HttpRequest, pk: int) -> HttpResponse:
    raise NotImplementedError


def person_reveal(request: HttpRequest, pk: int, field: str) -> HttpResponse:
    raise NotImplementedError


def members(request: HttpRequest) -> HttpResponse:
    raise NotImplementedError

from django.http import HttpRequest, HttpResponse


def export_members(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    raise NotImplementedError


def export_people(request: HttpRequest) -> HttpResponse:
    raise NotImplementedError


def export_posts(request: HttpRequest) -> HttpResponse:
    raise NotImplementedError


def import_upload(request: HttpRequest) -> HttpResponse:
    raise NotImplementedError


def import_preview(request: HttpRequest, token: str) -> HttpResponse:
    raise NotImplementedError


def import_confirm(request: HttpRequest, token: str) -> HttpResponse:
    raise NotImplementedError

"""Excel import (upload → preview → confirm) and export of the registry lists."""

from io import BytesIO

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from jiceng.accounts.access import can, get_for_user
from jiceng.accounts.models import User
from jiceng.orgs import exporting, importing
from jiceng.orgs.access import MATRIX
from jiceng.orgs.models import Organization

PREVIEW_ERROR_LIMIT = 500


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


def _require(request: HttpRequest, action: str) -> User:
    user = _user(request)
    if not can(user, MATRIX[action], None):
        raise PermissionDenied
    return user


def _xlsx(content: bytes, filename: str) -> FileResponse:
    return FileResponse(BytesIO(content), as_attachment=True, filename=filename, content_type=importing.XLSX_TYPE)


class UploadForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("Excel 文件（.xlsx）"))
    file_name = ""

    def clean_file(self) -> bytes:
        upload = self.cleaned_data["file"]
        try:
            importing.check_size(upload.size or 0)
        except importing.ImportFileError as exc:
            raise forms.ValidationError(exc.message) from None
        if not (upload.name or "").lower().endswith(".xlsx"):
            raise forms.ValidationError(_("文件无法读取，请上传 .xlsx 格式的 Excel 文件。"))
        self.file_name = upload.name or "import.xlsx"
        data: bytes = upload.read()
        try:
            importing.check_file(data)
        except importing.ImportFileError as exc:
            raise forms.ValidationError(exc.message) from None
        return data


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def import_upload(request: HttpRequest) -> HttpResponseBase:
    user = _require(request, "registry.import")
    if request.method == "GET" and request.GET.get("template"):
        return _xlsx(importing.build_template(), _("人员党员职务导入模板.xlsx"))
    form = UploadForm(request.POST, request.FILES) if request.method == "POST" else UploadForm()
    if form.is_valid():
        token = importing.save_upload(user=user, file_name=form.file_name, data=form.cleaned_data["file"])
        return redirect("orgs:import_preview", token=token)
    return render(
        request,
        "orgs/import_upload.html",
        {"form": form, "columns": importing.COLUMNS, "max_upload_mb": settings.MAX_UPLOAD_MB, "max_rows": f"{importing.MAX_ROWS:,}"},
    )


def _upload_or_404(request: HttpRequest, token: str) -> tuple[User, importing.Upload]:
    user = _require(request, "registry.import")
    upload = importing.load_upload(user=user, token=token)
    if upload is None:
        raise Http404
    return user, upload


@login_required
@never_cache
@require_GET
def import_preview(request: HttpRequest, token: str) -> HttpResponseBase:
    user, upload = _upload_or_404(request, token)
    try:
        report = importing.validate(actor=user, data=upload.data)
    except importing.ImportFileError as exc:
        return render(request, "orgs/import_preview.html", {"upload": upload, "file_error": exc.message})
    if request.GET.get("format") == "xlsx":
        return _xlsx(importing.errors_workbook(report.errors), _("导入错误清单.xlsx"))
    context = {
        "upload": upload,
        "report": report,
        "counts": report.counts,
        "errors": report.errors[:PREVIEW_ERROR_LIMIT],
        "errors_truncated": len(report.errors) > PREVIEW_ERROR_LIMIT,
        "error_limit": PREVIEW_ERROR_LIMIT,
    }
    return render(request, "orgs/import_preview.html", context)


def _summary(result: importing.ImportResult) -> str:
    c = result.counts
    text = _(
        "已导入 %(rows)d 行：新增 %(pc)d 人、更新 %(pu)d 人、%(pn)d 人无变化；"
        "新增党员 %(mc)d 名、更新党员 %(mu)d 名；新增职务 %(oc)d 项（已在任 %(oe)d 项）。"
    ) % {
        "rows": result.imported,
        "pc": c["people_created"],
        "pu": c["people_updated"],
        "pn": c["people_unchanged"],
        "mc": c["members_created"],
        "mu": c["members_updated"],
        "oc": c["posts_created"],
        "oe": c["posts_existing"],
    }
    if result.skipped:
        text += _("跳过有错误的 %(n)d 行。") % {"n": result.skipped}
    return text


@login_required
@require_POST
def import_confirm(request: HttpRequest, token: str) -> HttpResponseBase:
    user, upload = _upload_or_404(request, token)
    mode = request.POST.get("mode")
    if mode not in ("all", "valid"):
        messages.error(request, _("请选择“全部导入”或“仅导入有效行”。"))
        return redirect("orgs:import_preview", token=token)
    if not importing.claim_upload(token):
        messages.error(request, _("该文件正在导入，请勿重复提交。"))
        return redirect("orgs:import_preview", token=token)
    done = False
    try:
        result = importing.import_file(actor=user, data=upload.data, file_name=upload.file_name, only_valid=mode == "valid")
        importing.delete_upload(token)
        done = True
    except (importing.ImportFileError, importing.ImportRefused) as exc:
        messages.error(request, exc.message)
        return redirect("orgs:import_preview", token=token)
    finally:
        if not done:
            importing.release_upload(token)
    messages.success(request, _summary(result))
    return redirect("orgs:members")


# ---- export ------------------------------------------------------------------------------------


def _download(export: exporting.Export) -> FileResponse:
    return FileResponse(export.file, as_attachment=True, filename=export.filename, content_type=importing.XLSX_TYPE)


@login_required
@never_cache
@require_GET
def export_members(request: HttpRequest, pk: int | None = None) -> HttpResponseBase:
    user = _require(request, "registry.export")
    within = None
    if pk is not None:
        within = get_for_user(Organization.objects.all(), user, MATRIX["registry.export"], "path", pk=pk)
    return _download(exporting.export_members(actor=user, params=request.GET, within=within))


@login_required
@never_cache
@require_GET
def export_people(request: HttpRequest) -> HttpResponseBase:
    user = _require(request, "registry.export")
    return _download(exporting.export_people(actor=user, params=request.GET))


@login_required
@never_cache
@require_GET
def export_posts(request: HttpRequest) -> HttpResponseBase:
    user = _require(request, "registry.export")
    return _download(exporting.export_posts(actor=user, params=request.GET))


@login_required
@require_GET
def export_orgs(request: HttpRequest) -> HttpResponseBase:
    user = _require(request, "registry.export")
    return _download(exporting.export_orgs(actor=user, params=request.GET))

"""Excel / CSV import (upload → preview → confirm, large files in the background) and export of the registry lists."""

from io import BytesIO
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from jiceng.accounts.access import can, get_for_user
from jiceng.accounts.models import User
from jiceng.lib.http import AuthedRequest
from jiceng.orgs import exporting, importing, importing_files, importing_jobs
from jiceng.orgs import importing_uploads as uploads
from jiceng.orgs.access import MATRIX
from jiceng.orgs.models import Organization
from jiceng.orgs.models_import import ImportJob, ImportKind, ImportStatus

PREVIEW_ERROR_LIMIT = 500
ACCEPTED_EXTENSIONS = (".xlsx", ".csv", ".txt")


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
    return FileResponse(BytesIO(content), as_attachment=True, filename=filename, content_type=importing_files.XLSX_TYPE)


class UploadForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("Excel 文件（.xlsx）或 CSV 文件"))
    file_name = ""

    def clean_file(self) -> bytes:
        upload = self.cleaned_data["file"]
        try:
            importing_files.check_size(upload.size or 0)
        except importing_files.ImportFileError as exc:
            raise forms.ValidationError(exc.message) from None
        name = upload.name or ""
        if not name.lower().endswith(ACCEPTED_EXTENSIONS):
            raise forms.ValidationError(importing_files.not_readable().message)
        self.file_name = name
        data: bytes = upload.read()
        try:
            importing_files.check_file(data, name)
        except importing_files.ImportFileError as exc:
            raise forms.ValidationError(exc.message) from None
        return data


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def import_upload(request: HttpRequest) -> HttpResponseBase:
    user = _require(request, "registry.import")
    if request.method == "GET" and request.GET.get("template"):
        return _xlsx(importing_files.build_template(), _("人员党员职务导入模板.xlsx"))
    form = UploadForm(request.POST, request.FILES) if request.method == "POST" else UploadForm()
    if form.is_valid():
        token = uploads.save_upload(user=user, file_name=form.file_name, data=form.cleaned_data["file"])
        return redirect("orgs:import_preview", token=token)
    context = {
        "form": form,
        "columns": importing_files.COLUMNS,
        "max_upload_mb": settings.MAX_UPLOAD_MB,
        "max_rows": f"{importing_files.MAX_ROWS:,}",
        "background_rows": f"{importing_jobs.background_rows():,}",
        "jobs": ImportJob.objects.filter(user=user).defer("errors", "counts").order_by("-created_at")[:5],
    }
    return render(request, "orgs/import_upload.html", context)


def _upload_or_404(request: HttpRequest, token: str) -> tuple[User, uploads.Upload]:
    user = _require(request, "registry.import")
    upload = uploads.load_upload(user=user, token=token)
    if upload is None:
        raise Http404
    return user, upload


def _report_context(*, total: int, valid: int, invalid: int, counts: dict[str, int], errors: list[Any], token: str) -> dict[str, Any]:
    """What the report partial shows, for a preview run in the request or in the background."""
    return {
        "token": token,
        "total": total,
        "valid": valid,
        "invalid": invalid,
        "counts": counts,
        # A background preview keeps its errors as [row, column, message]; only the shown ones become RowErrors.
        "errors": [e if isinstance(e, importing.RowError) else importing.RowError(*e) for e in errors[:PREVIEW_ERROR_LIMIT]],
        "errors_truncated": len(errors) > PREVIEW_ERROR_LIMIT,
        "error_limit": PREVIEW_ERROR_LIMIT,
        "background": total > importing_jobs.background_rows(),
    }


@login_required
@never_cache
@require_GET
def import_preview(request: HttpRequest, token: str) -> HttpResponseBase:
    """Check the file; a file over the background line is checked by a job and shown on its status page."""
    user, upload = _upload_or_404(request, token)
    try:
        large = importing_jobs.is_large(upload)
        report = None if large else importing.validate(actor=user, data=upload.data, file_name=upload.file_name)
    except importing_files.ImportFileError as exc:
        return render(request, "orgs/import_preview.html", {"upload": upload, "file_error": exc.message})
    if report is None:
        job = importing_jobs.preview_job(user=user, upload=upload)
        return redirect("orgs:import_job", pk=job.pk)
    uploads.remember_rows(upload, report.total)
    if request.GET.get("format") == "xlsx":
        return _xlsx(importing_files.errors_workbook(report.errors), _("导入错误清单.xlsx"))
    context = {"upload": upload} | _report_context(
        total=report.total, valid=report.valid, invalid=report.invalid, counts=report.counts, errors=report.errors, token=token
    )
    return render(request, "orgs/import_preview.html", context)


def summary(*, imported: int, skipped: int, counts: dict[str, int]) -> str:
    c = counts
    text = _(
        "已导入 %(rows)d 行：新增 %(pc)d 人、更新 %(pu)d 人、%(pn)d 人无变化；"
        "新增党员 %(mc)d 名、更新党员 %(mu)d 名；新增职务 %(oc)d 项（已在任 %(oe)d 项）。"
    ) % {
        "rows": imported,
        "pc": c.get("people_created", 0),
        "pu": c.get("people_updated", 0),
        "pn": c.get("people_unchanged", 0),
        "mc": c.get("members_created", 0),
        "mu": c.get("members_updated", 0),
        "oc": c.get("posts_created", 0),
        "oe": c.get("posts_existing", 0),
    }
    if skipped:
        text += _("跳过有错误的 %(n)d 行。") % {"n": skipped}
    return text


@login_required
@require_POST
def import_confirm(request: HttpRequest, token: str) -> HttpResponseBase:
    user, upload = _upload_or_404(request, token)
    mode = request.POST.get("mode")
    if mode not in ("all", "valid"):
        messages.error(request, _("请选择“全部导入”或“仅导入有效行”。"))
        return redirect("orgs:import_preview", token=token)
    if not uploads.claim_upload(token):
        messages.error(request, _("该文件正在导入，请勿重复提交。"))
        return redirect("orgs:import_preview", token=token)
    rows = upload.rows if upload.rows is not None else importing_files.count_rows(upload.data, upload.file_name)
    if rows > importing_jobs.background_rows():
        job = importing_jobs.enqueue_import(user=user, upload=upload, only_valid=mode == "valid", rows=rows)
        return redirect("orgs:import_job", pk=job.pk)
    done = False
    try:
        result = importing.import_file(actor=user, data=upload.data, file_name=upload.file_name, only_valid=mode == "valid")
        uploads.delete_upload(token)
        done = True
    except (importing_files.ImportFileError, importing.ImportRefused) as exc:
        messages.error(request, exc.message)
        return redirect("orgs:import_preview", token=token)
    finally:
        if not done:
            uploads.release_upload(token)
    messages.success(request, summary(imported=result.imported, skipped=result.skipped, counts=result.counts))
    return redirect("orgs:members")


@login_required
@never_cache
@require_GET
def import_job(request: AuthedRequest, pk: int) -> HttpResponseBase:
    """The status of a background preview or import; only its uploader sees it. htmx polls the fragment until it finishes."""
    user = _require(request, "registry.import")
    job = get_object_or_404(ImportJob, pk=pk, user=user)
    context: dict[str, Any] = {"job": job}
    if job.is_preview:
        if job.status == ImportStatus.DONE:
            if request.GET.get("format") == "xlsx":
                errors = [importing.RowError(row, column, message) for row, column, message in job.errors]
                return _xlsx(importing_files.errors_workbook(errors), _("导入错误清单.xlsx"))
            context |= _report_context(
                total=job.rows, valid=job.valid, invalid=job.invalid, counts=job.counts, errors=job.errors, token=job.token
            )
            # Once the file was sent to import, its confirm buttons give way to that job.
            context["import_job"] = (
                ImportJob.objects.filter(user=user, token=job.token, kind=ImportKind.IMPORT).order_by("-pk").only("pk", "status").first()
            )
    elif job.imported:
        context["summary"] = summary(imported=job.imported, skipped=job.skipped, counts=job.counts)
    if request.htmx:
        return render(request, "orgs/_partials/import_job_status.html", context)
    return render(request, "orgs/import_job.html", context)


# ---- export ------------------------------------------------------------------------------------


def _download(export: exporting.Export) -> FileResponse:
    return FileResponse(export.file, as_attachment=True, filename=export.filename, content_type=importing_files.XLSX_TYPE)


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

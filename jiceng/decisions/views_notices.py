"""The printable notice (PDF) for staff; the public side of verification is the portal app."""

from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.urls import reverse
from django.views.decorators.http import require_GET

from jiceng.accounts.access import get_for_user
from jiceng.decisions import access, notices
from jiceng.decisions.models import Notice
from jiceng.lib.http import AuthedRequest


@login_required
@require_GET
def notice_pdf(request: AuthedRequest, pk: int) -> HttpResponse:
    notice = get_for_user(
        Notice.objects.select_related("decision__village"), request.user, access.roles("decision.view"), "decision__village__path", pk=pk
    )
    verify_path = reverse("portal:verify", args=[notice.code]) + "?" + urlencode({"h": notices.qr_hash(notice)})
    pdf = notices.render_pdf(
        notice,
        verify_url=request.build_absolute_uri(verify_path),
        form_url=request.build_absolute_uri(reverse("portal:verify_form")),
    )
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = notices.content_disposition(notices.filename(notice), fallback=f"notice-{notice.code}.pdf")
    return response

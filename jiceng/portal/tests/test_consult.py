"""留言咨询: a verified question reaches only the chosen organization's inbox; answers go by SMS."""

from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.urls import reverse

from jiceng.accounts.models import User
from jiceng.conftest import Personas, Tree
from jiceng.needs.otp import ConsoleGateway
from jiceng.orgs.models import Organization
from jiceng.portal import services
from jiceng.portal.models import Consultation
from jiceng.portal.tests.helpers import PHONE


def staff(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def ask(org: Organization, question: str = "低保怎么申请？") -> int:
    client = Client()
    url = reverse("portal:consult", args=[org.code])
    client.post(url, {"action": "send_code", "phone": PHONE})
    code = ConsoleGateway.last_code(PHONE) or ""
    return client.post(url, {"action": "ask", "phone": PHONE, "code": code, "question": question}).status_code


def test_a_question_reaches_only_the_chosen_inbox(personas: Personas, tree: Tree) -> None:
    assert ask(tree.village_a) == 302
    item = Consultation.objects.get()
    assert item.organization == tree.village_a and PHONE not in item.phone_encrypted
    assert "低保怎么申请" in staff(personas.secretary_a).get(reverse("portal_staff:consultations")).content.decode()
    assert "低保怎么申请" in staff(personas.town_staff).get(reverse("portal_staff:consultations")).content.decode()
    other = staff(personas.secretary_b)
    assert "低保怎么申请" not in other.get(reverse("portal_staff:consultations")).content.decode()
    assert other.post(reverse("portal_staff:consultation_answer", args=[item.pk]), {"answer": "x"}).status_code == 404
    with pytest.raises(PermissionDenied):
        services.consultation_answer(actor=personas.secretary_b, item=item, answer="x", publish=True)


def test_a_question_needs_a_verified_phone(tree: Tree) -> None:
    response = Client().post(
        reverse("portal:consult", args=[tree.village_a.code]), {"action": "ask", "phone": PHONE, "code": "000000", "question": "q"}
    )
    assert response.status_code == 200 and not Consultation.objects.exists()


def test_a_bad_phone_gets_no_code(tree: Tree) -> None:
    body = Client().post(reverse("portal:consult", args=[tree.village_a.code]), {"action": "send_code", "phone": "12345"}).content.decode()
    assert "手机号应为11位" in body and not ConsoleGateway.outbox


def test_the_answer_goes_by_sms_and_is_public_only_when_chosen(
    personas: Personas, tree: Tree, django_capture_on_commit_callbacks: Any, django_assert_num_queries: Any
) -> None:
    ask(tree.village_a, "公开的问题")
    ask_again = Consultation.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        staff(personas.secretary_a).post(reverse("portal_staff:consultation_answer", args=[ask_again.pk]), {"answer": "请到村委会办理"})
    assert ConsoleGateway.outbox[-1].phone == PHONE and "请到村委会办理" in ConsoleGateway.outbox[-1].message
    url = reverse("portal:consult", args=[tree.village_a.code])
    assert "请到村委会办理" not in Client().get(url).content.decode()
    services.consultation_answer(actor=personas.secretary_a, item=ask_again, answer="请到村委会办理", publish=True)
    # the organization, the count of published answers, the page of them
    with django_assert_num_queries(3):
        body = Client().get(url).content.decode()
    assert "公开的问题" in body and "请到村委会办理" in body and PHONE not in body
    assert "请到村委会办理" not in Client().get(reverse("portal:consult", args=[tree.village_b.code])).content.decode()
    assert len([m for m in ConsoleGateway.outbox if "已答复" in m.message]) == 1  # an edit sends no second SMS

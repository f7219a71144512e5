from datetime import datetime

from django.test import Client
from django.urls import reverse

from jiceng.accounts.models import User
from jiceng.needs.otp import ConsoleGateway
from jiceng.orgs.models import Organization
from jiceng.portal import services
from jiceng.portal.models import Article, ArticleStatus

PHONE = "13900139000"


def article(
    actor: User, org: Organization, title: str = "村里新修了文化广场", status: str = ArticleStatus.PUBLISHED, at: datetime | None = None
) -> Article:
    item = services.article_save(actor=actor, organization=org, title=title, body="<p>正文</p>")
    if status != ArticleStatus.DRAFT:
        services.article_set_status(actor=actor, article=item, status=status, publish_at=at)
    return item


def comment_by_phone(client: Client, item: Article, body: str = "广场很好", phone: str = PHONE) -> int:
    url = reverse("portal:article", args=[item.pk])
    client.post(url, {"action": "send_code", "phone": phone})
    code = ConsoleGateway.last_code(phone) or ""
    response = client.post(url, {"action": "comment", "phone": phone, "code": code, "body": body, "nickname": "老张"})
    return response.status_code

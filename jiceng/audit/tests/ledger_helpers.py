"""Helpers shared by the ledger tests: events to check and tampering behind the ORM's back."""

from typing import Any

from django.db import connection, transaction

from jiceng.accounts.models import User
from jiceng.audit.services import record


def events(n: int, actor: User | None = None) -> None:
    with transaction.atomic():
        for i in range(n):
            record(actor=actor, action="test.event", changes={"i": i, "名称": "甲村"})


def tamper(sql: str, params: list[Any]) -> None:
    """Change rows behind the ORM's back, as someone with database access could."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET session_replication_role = replica")  # a superuser bypassing triggers
        cursor.execute(sql, params)
        if connection.vendor == "postgresql":
            cursor.execute("SET session_replication_role = origin")

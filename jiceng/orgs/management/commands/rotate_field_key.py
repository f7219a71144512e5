"""Re-encrypt personal data with the newest field key (docs/operations.md, key rotation).

Put the new key first in JICENG_FIELD_KEY ("new,old"), run this command, then drop the old key.
Rows are rewritten in batches, each in its own transaction, so the command can be stopped and rerun.
"""

from typing import Any

from django.core.management.base import BaseCommand
from django.db import transaction

from jiceng.audit import services as audit
from jiceng.lib import fieldcrypto
from jiceng.orgs.models import Person


def _reseal(person: Person) -> list[str]:
    changed = []
    for field in ("id_number", "phone"):
        token = getattr(person, f"{field}_encrypted")
        if not token:
            continue
        plain = fieldcrypto.decrypt(token)
        setattr(person, f"{field}_encrypted", fieldcrypto.encrypt(plain))
        setattr(person, f"{field}_hash", fieldcrypto.lookup_hash(plain))
        changed += [f"{field}_encrypted", f"{field}_hash"]
    return changed


class Command(BaseCommand):
    help = "Re-encrypt ID numbers and phones with the first key of JICENG_FIELD_KEY."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--batch", type=int, default=1000)

    def handle(self, *args: Any, batch: int, **options: Any) -> None:
        current = fieldcrypto.current_key_id()
        stale = Person.objects.exclude(id_number_encrypted="", phone_encrypted="").exclude(
            id_number_encrypted__startswith=f"{current}:", phone_encrypted__startswith=f"{current}:"
        )
        total = 0
        while ids := list(stale.order_by("pk").values_list("pk", flat=True)[:batch]):
            with transaction.atomic():
                people = list(Person.objects.select_for_update().filter(pk__in=ids))
                for person in people:
                    person.save(update_fields=_reseal(person))
                audit.record(actor=None, action="crypto.rotate", changes={"key_id": current, "people": len(people)})
            total += len(people)
        self.stdout.write(self.style.SUCCESS(f"re-encrypted {total} people with key {current}"))

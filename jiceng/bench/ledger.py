"""How fast can the ledger be verified without the ORM? A yardstick for audit.services.verify().

Same checks (sequence, previous hash, recomputed hash) over raw rows from a server-side cursor; used
by the benchmark to show how much of verify()'s time is model instantiation. Not a replacement for
the audit app's own verify().
"""

import json
from datetime import UTC

from django.db import connection, transaction

from jiceng.audit.chain import GENESIS, canonical, digest_function

_COLUMNS = "seq, at, actor_id, actor_label, org_path, action, object_type, object_id, changes, prev_hash, hash"


def verify_rows(batch: int = 20_000) -> tuple[int, bool]:
    """(events checked, chain intact)."""
    digest = digest_function()
    prev, expected, checked = GENESIS, 1, 0
    with transaction.atomic(), connection.chunked_cursor() as cursor:
        cursor.execute(f"SELECT {_COLUMNS} FROM audit_event ORDER BY seq")
        while rows := cursor.fetchmany(batch):
            for seq, at, actor_id, actor_label, org_path, action, object_type, object_id, changes, prev_hash, stored in rows:
                if isinstance(changes, str):  # SQLite hands JSON back as text and timestamps as naive UTC
                    changes = json.loads(changes)
                if at.tzinfo is None:
                    at = at.replace(tzinfo=UTC)
                body = canonical(
                    seq=seq,
                    at=at,
                    actor_id=actor_id,
                    actor_label=actor_label,
                    org_path=org_path,
                    action=action,
                    object_type=object_type,
                    object_id=object_id,
                    changes=changes,
                    prev_hash=prev_hash,
                )
                if seq != expected or prev_hash != prev or digest(body) != stored:
                    return checked, False
                prev, expected, checked = stored, expected + 1, checked + 1
    return checked, True

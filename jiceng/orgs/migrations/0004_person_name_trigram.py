"""Trigram indexes for the name search (`name LIKE '%…%'`, `name_initials LIKE '%…%'`), on PostgreSQL only.

A b-tree cannot serve a search for a part of a name; a pg_trgm GIN index can once the query has
three characters or more (pg_trgm works on three-character pieces). SQLite and other databases
keep the plain search. CREATE EXTENSION needs a role allowed to create it (docs/deployment.md).
"""

from django.db import migrations

INDEXES = (
    ("person_name_trgm", "name"),
    ("person_initials_trgm", "name_initials"),
)


def create(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, column in INDEXES:
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {name} ON orgs_person USING gin ({column} gin_trgm_ops)")


def drop(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, _column in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("orgs", "0003_importjob")]

    operations = [migrations.RunPython(create, drop, elidable=False)]

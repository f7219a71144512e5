"""The name's trigram index on UPPER(name), on PostgreSQL only.

Django writes a case-insensitive match as `UPPER(name::text) LIKE UPPER('%…%')`, which the index on
the bare name (0004) could not serve: three or more Latin letters, which also look in the name in
either case, read every person or member in scope (seconds for a province's admin). Chinese has no
case, so the Chinese search uses the same lookup and the same index (orgs.selectors._name_filter).
"""

from django.db import migrations


def create(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("DROP INDEX IF EXISTS person_name_trgm")
    schema_editor.execute("CREATE INDEX IF NOT EXISTS person_name_upper_trgm ON orgs_person USING gin (UPPER(name::text) gin_trgm_ops)")


def drop(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("DROP INDEX IF EXISTS person_name_upper_trgm")
    schema_editor.execute("CREATE INDEX IF NOT EXISTS person_name_trgm ON orgs_person USING gin (name gin_trgm_ops)")


class Migration(migrations.Migration):
    dependencies = [("orgs", "0011_organization_kind_path")]

    operations = [migrations.RunPython(create, drop, elidable=False)]

"""A finer histogram of organization paths, so PostgreSQL estimates a narrow subtree range well.

With districts under a city under a province, one district's range ('000100010001' to
'000100010002') falls inside a single bucket of the default 100-bucket histogram, and PostgreSQL
estimated 1 organization where there were 430: it then joined all 83,461 of the district's cases and
sorted them (831 ms). With 10,000 buckets (a small table: one row per organization) the estimate is
81,932 cases and the plan walks the (reported_at) index instead: 65 ms (docs/performance.md).
"""

from django.db import migrations


def finer_statistics(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE orgs_organization ALTER COLUMN path SET STATISTICS 10000")
        schema_editor.execute("ANALYZE orgs_organization")


def default_statistics(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE orgs_organization ALTER COLUMN path SET STATISTICS -1")


class Migration(migrations.Migration):
    dependencies = [("orgs", "0008_leaner_person_and_member_indexes")]

    operations = [migrations.RunPython(finer_statistics, default_statistics, elidable=False)]

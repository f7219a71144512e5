"""The member search reads the member row alone: the person's name and initials copied onto it.

A search for 陈 (one member in twenty) joined every member in scope to its person to test the
name; the count behind the pager took ≈ 2 s for a district at province scale. With the name on the
member row, the (branch, name) index answers "in this branch, starting with 陈" directly; the
people list gets the same (organization, name) index. Existing rows are filled here; every write
path keeps them in step afterwards (orgs.services.member_names_sync).
"""

from django.db import migrations, models
from django.db.models import OuterRef, Subquery


def copy_names(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            "UPDATE orgs_member m SET name = p.name, name_initials = p.name_initials FROM orgs_person p WHERE p.id = m.person_id"
        )
        return
    Member = apps.get_model("orgs", "Member")
    Person = apps.get_model("orgs", "Person")
    person = Person.objects.filter(pk=OuterRef("person_id"))
    Member.objects.update(name=Subquery(person.values("name")[:1]), name_initials=Subquery(person.values("name_initials")[:1]))


class Migration(migrations.Migration):
    dependencies = [("orgs", "0006_importjob_preview")]

    operations = [
        migrations.AddField(
            model_name="member",
            name="name",
            field=models.CharField(blank=True, editable=False, max_length=50, verbose_name="姓名"),
        ),
        migrations.AddField(
            model_name="member",
            name="name_initials",
            field=models.CharField(blank=True, editable=False, max_length=50, verbose_name="姓名拼音首字母"),
        ),
        migrations.RunPython(copy_names, migrations.RunPython.noop, elidable=False),
        migrations.AddIndex(
            model_name="member",
            index=models.Index(fields=["branch", "name"], name="member_branch_name", opclasses=["int8_ops", "varchar_pattern_ops"]),
        ),
        migrations.AddIndex(
            model_name="person",
            index=models.Index(fields=["organization", "name"], name="person_org_name", opclasses=["int8_ops", "varchar_pattern_ops"]),
        ),
    ]

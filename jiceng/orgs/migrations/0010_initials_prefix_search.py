"""One or two Latin letters find pinyin initials starting with them, through a scoped b-tree index.

A search for cj matched initials containing cj anywhere (`name_initials LIKE '%cj%'`) or the name
containing it, which no index serves: the count behind the pager read every member in scope, millions
of rows for a province. Now one or two letters match the start of the initials (orgs.selectors
_name_filter), and these indexes answer "in this branch (organization), initials starting with cj"
as member_branch_name and person_org_name do for the name (migration 0007). The pattern operator
class is needed because the database collation is not C.
"""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("orgs", "0009_path_statistics")]

    operations = [
        migrations.AddIndex(
            model_name="member",
            index=models.Index(
                fields=["branch", "name_initials"], name="member_branch_initials", opclasses=["int8_ops", "varchar_pattern_ops"]
            ),
        ),
        migrations.AddIndex(
            model_name="person",
            index=models.Index(
                fields=["organization", "name_initials"], name="person_org_initials", opclasses=["int8_ops", "varchar_pattern_ops"]
            ),
        ),
    ]

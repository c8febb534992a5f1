"""The "reviewers" group: its members may use the review screens (api.access.can_review)
without being staff."""

from django.db import migrations

REVIEWERS = "reviewers"  # api.access.REVIEWERS; a migration keeps its own copy


def create_group(apps, schema_editor):
    apps.get_model("auth", "Group").objects.get_or_create(name=REVIEWERS)


def remove_group(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name=REVIEWERS).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("review", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [migrations.RunPython(create_group, remove_group)]

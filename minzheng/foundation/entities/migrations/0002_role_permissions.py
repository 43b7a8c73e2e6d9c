"""Give the standard roles the organisations registry's permissions (installs whose roles were
seeded before it existed); roles an administrator created are left alone."""

from django.db import migrations

from minzheng.foundation.accounts.roles import roles_add_permissions

NEW = {"entities.view", "entities.change"}


def forwards(apps, schema_editor):
    roles_add_permissions(apps.get_model("accounts", "Role"), NEW)


class Migration(migrations.Migration):
    dependencies = [("entities", "0001_entities"), ("accounts", "0002_seed_roles")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]

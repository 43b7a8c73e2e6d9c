"""Give the standard roles the case permissions introduced with this engine (installs whose roles
were seeded before it existed); roles an administrator created are left alone."""

from django.db import migrations

from minzheng.foundation.accounts.roles import roles_add_permissions

NEW = {"cases.view", "cases.act", "cases.open", "cases.supervise", "cases.configure"}


def forwards(apps, schema_editor):
    roles_add_permissions(apps.get_model("accounts", "Role"), NEW)


class Migration(migrations.Migration):
    dependencies = [("cases", "0001_initial"), ("accounts", "0002_seed_roles")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]

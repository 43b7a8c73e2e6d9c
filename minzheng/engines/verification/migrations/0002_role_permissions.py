"""Give the standard roles the verification and monitoring permissions (installs whose roles were
seeded before these engines existed); roles an administrator created are left alone."""

from django.db import migrations

from minzheng.foundation.accounts.roles import MONITOR, VERIFY, VERIFY_OFFICE, roles_add_permissions

NEW = {*VERIFY, *MONITOR, *VERIFY_OFFICE, "sources.view"}


def forwards(apps, schema_editor):
    roles_add_permissions(apps.get_model("accounts", "Role"), NEW)


class Migration(migrations.Migration):
    dependencies = [("verification", "0001_initial"), ("accounts", "0002_seed_roles")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]

"""Give the standard roles the verification and monitoring permissions (installs whose roles were
seeded before these engines existed); roles an administrator created are left alone."""

from django.db import migrations

from minzheng.foundation.accounts.roles import roles_add_permissions

# the permission codes as they were when this migration was written (each engine now declares its own)
NEW = {"verification.view", "verification.request", "monitoring.view", "monitoring.handle", "sources.view",
       "sources.load", "verification.issue", "verification.batch", "monitoring.run", "monitoring.configure"}  # fmt: skip


def forwards(apps, schema_editor):
    roles_add_permissions(apps.get_model("accounts", "Role"), NEW)


class Migration(migrations.Migration):
    dependencies = [("verification", "0001_initial"), ("accounts", "0002_seed_roles")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]

"""Give the standard roles the benefits permissions introduced with this engine (installs whose
roles were seeded before it existed); roles an administrator created are left alone."""

from django.db import migrations

from minzheng.foundation.accounts.roles import roles_add_permissions

NEW = {"benefits.view", "benefits.change", "benefits.assess", "benefits.simulate", "standards.manage",
       "payroll.prepare", "payroll.approve"}  # fmt: skip


def forwards(apps, schema_editor):
    roles_add_permissions(apps.get_model("accounts", "Role"), NEW)


class Migration(migrations.Migration):
    dependencies = [("benefits", "0001_initial"), ("accounts", "0002_seed_roles")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]

"""Give the standard roles the case permissions introduced with this engine (installs whose roles
were seeded before it existed); roles an administrator created are left alone."""

from django.db import migrations

from minzheng.foundation.accounts.roles import ROLES

NEW = {"cases.view", "cases.act", "cases.open", "cases.supervise", "cases.configure"}


def forwards(apps, schema_editor):
    Role = apps.get_model("accounts", "Role")
    for code, _name, permissions in ROLES:
        role = Role.objects.filter(code=code).first()
        if role is None:
            continue
        added = [p for p in permissions if p in NEW and p not in role.permissions]
        if added:
            role.permissions = [*role.permissions, *added]
            role.save(update_fields=["permissions"])


class Migration(migrations.Migration):
    dependencies = [("cases", "0001_initial"), ("accounts", "0002_seed_roles")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]

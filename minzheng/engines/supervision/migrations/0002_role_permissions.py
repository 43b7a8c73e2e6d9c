"""Give the standard roles the supervision engine's permissions (installs whose roles were seeded
before it existed; the new role 监督检查员 is created by ``roles_ensure`` after migrate); roles an
administrator created are left alone."""

from django.db import migrations

from minzheng.foundation.accounts.roles import roles_add_permissions

NEW = {
    "supervision.view",
    "supervision.manage",
    "supervision.inspect",
    "supervision.rectify",
    "supervision.configure",
}


def forwards(apps, schema_editor):
    roles_add_permissions(apps.get_model("accounts", "Role"), NEW)


class Migration(migrations.Migration):
    dependencies = [("supervision", "0001_supervision"), ("accounts", "0002_seed_roles")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]

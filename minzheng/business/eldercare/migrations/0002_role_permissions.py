"""Give the standard roles the eldercare line's permissions (installs whose roles were seeded before
the line existed; the new role 养老机构监管员 is created by ``roles_ensure`` after migrate); roles an
administrator created are left alone."""

from django.db import migrations

from minzheng.foundation.accounts.roles import roles_add_permissions

NEW = {
    "eldercare.view",
    "eldercare.manage",
    "eldercare.residents",
    "eldercare.prepaid",
    "eldercare.incidents",
    "eldercare.workers",
}


def forwards(apps, schema_editor):
    roles_add_permissions(apps.get_model("accounts", "Role"), NEW)


class Migration(migrations.Migration):
    dependencies = [("eldercare", "0001_eldercare"), ("accounts", "0002_seed_roles")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]

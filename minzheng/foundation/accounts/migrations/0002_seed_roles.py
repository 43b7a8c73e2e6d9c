from django.db import migrations

from minzheng.foundation.accounts.roles import ROLES


def seed(apps, schema_editor):
    Role = apps.get_model("accounts", "Role")
    for sort, (code, name, permissions) in enumerate(ROLES):
        Role.objects.update_or_create(code=code, defaults={"name": name, "permissions": permissions, "sort": sort})


class Migration(migrations.Migration):
    dependencies = [("accounts", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]

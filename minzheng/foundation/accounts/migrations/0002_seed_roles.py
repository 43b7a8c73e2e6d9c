from django.db import migrations

from minzheng.foundation.accounts.roles import roles_ensure


def seed(apps, schema_editor):
    roles_ensure(apps.get_model("accounts", "Role"))


class Migration(migrations.Migration):
    dependencies = [("accounts", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]

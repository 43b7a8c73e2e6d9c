"""``Standard`` now belongs to the policy parameters (``minzheng.foundation.parameters``, ADR 0017):
removed from this app's state only — the table ``benefits_standard`` and its rows stay, now the
parameters' model's table. The content type follows the model, so what pointed at it still does."""

from django.db import migrations


def content_type_follows(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    db = schema_editor.connection.alias
    if not ContentType.objects.using(db).filter(app_label="parameters", model="standard").exists():
        ContentType.objects.using(db).filter(app_label="benefits", model="standard").update(app_label="parameters")


def content_type_back(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    db = schema_editor.connection.alias
    if not ContentType.objects.using(db).filter(app_label="benefits", model="standard").exists():
        ContentType.objects.using(db).filter(app_label="parameters", model="standard").update(app_label="benefits")


class Migration(migrations.Migration):
    dependencies = [
        ("benefits", "0008_oneoff_reissue_recovery"),
        ("parameters", "0001_initial"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="Standard")],
            database_operations=[],
        ),
        migrations.RunPython(content_type_follows, content_type_back),
    ]

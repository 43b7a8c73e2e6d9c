from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('monitoring', '0001_initial'),
    ]

    operations = [
        migrations.AddField(
            model_name='monitoringrule',
            name='discovery',
            field=models.BooleanField(default=False, verbose_name='主动发现'),
        ),
        migrations.AddField(
            model_name='monitoringrule',
            name='params',
            field=models.JSONField(blank=True, default=dict, verbose_name='参数'),
        ),
    ]

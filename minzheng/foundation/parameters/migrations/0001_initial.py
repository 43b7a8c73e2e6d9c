"""The policy parameters' first model is the benefits engine's ``Standard``, moved without touching
its table: state only (``SeparateDatabaseAndState``), the rows stay in ``benefits_standard`` with
their indexes and constraints. ``benefits.0009_standard_moved_to_parameters`` drops the model from
the benefits engine's state. See ADR 0017."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        # the table was created by the benefits engine's first migration
        ("benefits", "0001_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="Standard",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("key", models.CharField(max_length=50, verbose_name="标准类型")),
                        ("region_code", models.CharField(blank=True, default="", max_length=12, verbose_name="适用区划")),
                        ("hukou_type", models.CharField(blank=True, choices=[("urban", "城镇"), ("rural", "农村")], default="", max_length=5, verbose_name="户籍类型")),
                        ("mode", models.CharField(blank=True, default="", max_length=20, verbose_name="方式/档次")),
                        ("effective_from", models.DateField(verbose_name="起始日期")),
                        ("effective_to", models.DateField(blank=True, null=True, verbose_name="截止日期（不含）")),
                        ("value", models.DecimalField(blank=True, decimal_places=4, max_digits=14, null=True, verbose_name="数值")),
                        ("text_value", models.CharField(blank=True, default="", max_length=30, verbose_name="取值")),
                        ("source_document", models.CharField(blank=True, default="", max_length=200, verbose_name="依据文件")),
                        ("created_at", models.DateTimeField(auto_now_add=True, verbose_name="录入时间")),
                        ("created_by", models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name="+", to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        "verbose_name": "保障标准",
                        "verbose_name_plural": "保障标准",
                        "db_table": "benefits_standard",
                        "indexes": [models.Index(fields=["key", "region_code", "effective_from"], name="standard_lookup")],
                        "constraints": [
                            models.UniqueConstraint(
                                fields=("key", "region_code", "hukou_type", "mode", "effective_from"),
                                name="standard_version_unique",
                            )
                        ],
                    },
                ),
            ],
            database_operations=[],
        ),
    ]

"""The household's means per income kind (``income_<kind>``, ``incomes_by_kind``), beside the split
counted/excluded of the day they were saved, so the simulation applies the income exclusions in
force for the household's region on its own date (ADR 0017).

Backfill, only what the old rows know: a row without other counted or excluded income has all its
income as wages (``income_wages`` = ``wages_annual``, kinds known). A row with other or excluded
income does not say of which kinds: it keeps ``incomes_by_kind`` false and is simulated on its
split as saved (the report counts such households) until its means are saved again — no kind is
guessed.
"""

from django.db import migrations, models
from django.db.models import F


def backfill(apps, schema_editor):
    HouseholdMeans = apps.get_model("assistance", "HouseholdMeans")
    db = schema_editor.connection.alias
    HouseholdMeans.objects.using(db).filter(other_income_annual=0, excluded_income_annual=0).update(
        income_wages=F("wages_annual"), incomes_by_kind=True
    )


class Migration(migrations.Migration):
    dependencies = [
        ("assistance", "0002_income_exclusions"),
    ]

    operations = [
        migrations.AddField(
            model_name="householdmeans",
            name="income_assistance",
            field=models.DecimalField(
                db_default=0, decimal_places=2, default=0, max_digits=14, verbose_name="政府救助款物（元/年）"
            ),
        ),
        migrations.AddField(
            model_name="householdmeans",
            name="income_award",
            field=models.DecimalField(
                db_default=0, decimal_places=2, default=0, max_digits=14, verbose_name="奖励金（元/年）"
            ),
        ),
        migrations.AddField(
            model_name="householdmeans",
            name="income_basic_pension",
            field=models.DecimalField(
                db_default=0, decimal_places=2, default=0, max_digits=14, verbose_name="城乡居民基础养老金（元/年）"
            ),
        ),
        migrations.AddField(
            model_name="householdmeans",
            name="income_business",
            field=models.DecimalField(
                db_default=0, decimal_places=2, default=0, max_digits=14, verbose_name="经营净收入（元/年）"
            ),
        ),
        migrations.AddField(
            model_name="householdmeans",
            name="income_longevity_allowance",
            field=models.DecimalField(
                db_default=0, decimal_places=2, default=0, max_digits=14, verbose_name="高龄津贴（元/年）"
            ),
        ),
        migrations.AddField(
            model_name="householdmeans",
            name="income_property",
            field=models.DecimalField(
                db_default=0, decimal_places=2, default=0, max_digits=14, verbose_name="财产净收入（元/年）"
            ),
        ),
        migrations.AddField(
            model_name="householdmeans",
            name="income_special_care_pension",
            field=models.DecimalField(
                db_default=0, decimal_places=2, default=0, max_digits=14, verbose_name="优抚金（元/年）"
            ),
        ),
        migrations.AddField(
            model_name="householdmeans",
            name="income_transfer",
            field=models.DecimalField(
                db_default=0, decimal_places=2, default=0, max_digits=14, verbose_name="转移净收入（元/年）"
            ),
        ),
        migrations.AddField(
            model_name="householdmeans",
            name="income_wages",
            field=models.DecimalField(
                db_default=0, decimal_places=2, default=0, max_digits=14, verbose_name="工资性收入（元/年）"
            ),
        ),
        migrations.AddField(
            model_name="householdmeans",
            name="incomes_by_kind",
            field=models.BooleanField(db_default=False, default=False, verbose_name="按收入类型记录"),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]

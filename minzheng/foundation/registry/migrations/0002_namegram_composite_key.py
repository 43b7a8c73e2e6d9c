"""Name grams keyed by (person, gram), without the surrogate id and its index; memberships without
the household index that membership_household_current already provides.

A primary key cannot be changed in place, so the gram table is made anew and refilled from the
persons' names (the grams are derived data: single characters and adjacent pairs of each name).
"""

import re

import django.db.models.deletion
from django.db import migrations, models

SEPARATORS = re.compile(r"[\s·•.]+")


def grams(name):
    out = set()
    for part in SEPARATORS.split(name):
        out.update(part)
        out.update(part[i : i + 2] for i in range(len(part) - 1))
    return out


def fill(apps, schema_editor):
    Person = apps.get_model("registry", "Person")
    PersonNameGram = apps.get_model("registry", "PersonNameGram")
    connection = schema_editor.connection
    quote = connection.ops.quote_name
    sql = f"INSERT INTO {quote(PersonNameGram._meta.db_table)} (gram, region_code, person_id) VALUES (%s, %s, %s)"
    batch = []
    persons = Person.objects.using(connection.alias).values_list("id", "name", "region_code")
    with connection.cursor() as cur:
        for pid, name, region in persons.iterator(5000):
            batch.extend((g, region, pid) for g in grams(name))
            if len(batch) >= 20000:
                cur.executemany(sql, batch)
                batch = []
        if batch:
            cur.executemany(sql, batch)


OPTIONS = {"verbose_name": "姓名检索词", "verbose_name_plural": "姓名检索词"}
LOOKUP = models.Index(fields=["gram", "region_code", "person"], name="namegram_lookup")


class Migration(migrations.Migration):
    dependencies = [
        ("registry", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(migrations.RunPython.noop, fill),  # backwards: refill the old table
        migrations.DeleteModel(name="PersonNameGram"),
        migrations.CreateModel(
            name="PersonNameGram",
            fields=[
                (
                    "pk",
                    models.CompositePrimaryKey(
                        "person", "gram", blank=True, editable=False, primary_key=True, serialize=False
                    ),
                ),
                ("gram", models.CharField(max_length=2)),
                ("region_code", models.CharField(max_length=12)),
                (
                    "person",
                    models.ForeignKey(
                        db_constraint=False,
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="registry.person",
                    ),
                ),
            ],
            options={**OPTIONS, "indexes": [LOOKUP]},
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="membership",
            name="household",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="memberships",
                to="registry.household",
                verbose_name="家庭",
            ),
        ),
    ]

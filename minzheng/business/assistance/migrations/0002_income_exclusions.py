"""The incomes the assistance rules leave out, as policy data (ADR 0017): the nationwide rows with
their citations, as the code's list had them until now. A region adds its own rows (its city
government's items, 民发〔2021〕57号 第十三条) through ``income_exclusion_set``.

低保 family income (``family_income``, also read for 边缘 and 刚性支出): 民发〔2021〕57号 第十三条
lists 优待抚恤金, 计划生育奖励与扶助金, 奖学金, 见义勇为等奖励性补助, 政府发放的各类社会救助款物 and,
during the 14th Five-Year Plan, the central 基础养老金 of 城乡居民基本养老保险. 高龄津贴 is not in the
list; whether a region leaves it out is its standard ``longevity_allowance_excluded``.

A 特困 applicant's own income (``tekun_income``): 特困人员认定办法第六条 names 基础养老金, 优抚金 and
高龄津贴; the other items of 第十三条 are left out as for 低保 (income is assessed by its rules).

``policy.NATIONWIDE_EXCLUSIONS`` holds the same rows for ``policy_ensure`` after a flush (a test
checks they agree).
"""

import datetime as dt

from django.db import migrations

FROM = dt.date(2021, 7, 1)  # 民发〔2021〕57号 and the 特困人员认定办法 in force
ART13 = "民发〔2021〕57号 第十三条"
ART6 = "特困人员认定办法 第六条"
ROWS = [
    # scope, kind, citation (as policy.NATIONWIDE_EXCLUSIONS had them when this migration was written)
    ("family_income", "basic_pension", f"{ART13}：城乡居民基本养老保险中的基础养老金（“十四五”期间）"),
    ("family_income", "special_care_pension", f"{ART13}：优待抚恤金"),
    ("family_income", "assistance", f"{ART13}：政府发放的各类社会救助款物"),
    ("family_income", "award", f"{ART13}：计划生育奖励与扶助金、奖学金、见义勇为等奖励性补助"),
    ("tekun_income", "basic_pension", f"{ART6}：基础养老金不计入收入"),
    ("tekun_income", "special_care_pension", f"{ART6}：优抚金不计入收入"),
    ("tekun_income", "longevity_allowance", f"{ART6}：高龄津贴不计入收入"),
    ("tekun_income", "assistance", f"{ART6}（收入按 {ART13} 认定）：政府发放的各类社会救助款物"),
    ("tekun_income", "award", f"{ART6}（收入按 {ART13} 认定）：计划生育奖励与扶助金、奖学金、见义勇为等奖励性补助"),
]


def seed(apps, schema_editor):
    IncomeExclusion = apps.get_model("parameters", "IncomeExclusion")
    db = schema_editor.connection.alias
    for scope, kind, citation in ROWS:
        IncomeExclusion.objects.using(db).get_or_create(
            scope=scope, kind=kind, region_code="", effective_from=FROM,
            defaults={"excluded": True, "source_document": citation},
        )  # fmt: skip


def unseed(apps, schema_editor):
    IncomeExclusion = apps.get_model("parameters", "IncomeExclusion")
    db = schema_editor.connection.alias
    for scope, kind, _citation in ROWS:
        IncomeExclusion.objects.using(db).filter(scope=scope, kind=kind, region_code="", effective_from=FROM).delete()


class Migration(migrations.Migration):
    dependencies = [("assistance", "0001_initial"), ("parameters", "0002_income_exclusions")]
    operations = [migrations.RunPython(seed, unseed)]

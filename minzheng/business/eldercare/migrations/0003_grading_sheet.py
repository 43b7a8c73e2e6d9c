"""Seed the care-home score sheet (1,000 points, five grades) of ``grading.py``, published; an install
that already has a sheet under that code keeps its own."""

from django.db import migrations


def forwards(apps, schema_editor):
    from minzheng.business.eldercare.grading import GRADES, SECTIONS, SHEET_CODE, SHEET_FROM, SHEET_NAME, SHEET_SOURCE
    from minzheng.business.eldercare.policy import KIND

    Sheet = apps.get_model("supervision", "GradingSheet")
    Section = apps.get_model("supervision", "GradingSection")
    Grade = apps.get_model("supervision", "GradingGrade")
    if Sheet.objects.filter(code=SHEET_CODE).exists():
        return
    sheet = Sheet.objects.create(kind=KIND, code=SHEET_CODE, version=1, name=SHEET_NAME, effective_from=SHEET_FROM,
                                 published=True, source_document=SHEET_SOURCE)  # fmt: skip
    Section.objects.bulk_create([Section(sheet=sheet, order=i, name=n, maximum=m) for i, (n, m) in enumerate(SECTIONS, 1)])
    Grade.objects.bulk_create(
        [Grade(sheet=sheet, name=n, rank=r, min_total=t, min_section_share=s) for n, r, t, s in GRADES]
    )


class Migration(migrations.Migration):
    dependencies = [("eldercare", "0002_role_permissions"), ("supervision", "0003_draws_gradings_lists_reports")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]

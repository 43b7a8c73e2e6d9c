"""Existing jobs: a region for those that named none (the submitter's, as ``submitter_region``
does now; 12 digits for those that named a prefix), and the uploaded file of an import that has
not ended recorded as its temporary file, so that it is deleted when the job ends or is reaped."""

from django.db import migrations

LEVELS = (12, 9, 6, 4, 2)
UPLOAD_KINDS = ("registry.import", "sources.load")


def _common_prefix(codes) -> str:
    """The leading characters all codes share (code prefixes, not paths)."""
    codes = list(codes)
    first, last = min(codes), max(codes)
    n = 0
    while n < min(len(first), len(last)) and first[n] == last[n]:
        n += 1
    return first[:n]


def _region_of(prefixes) -> str:
    prefixes = sorted(set(prefixes))
    if not prefixes:
        return ""
    common = _common_prefix(prefixes)
    level = next((n for n in LEVELS if n <= len(common)), 0)
    return common[:level].ljust(12, "0") if level else ""


def forwards(apps, schema_editor):
    JobRun = apps.get_model("jobs", "JobRun")
    Grant = apps.get_model("accounts", "Grant")
    User = apps.get_model("accounts", "User")
    regions: dict[int, str] = {}
    for job in JobRun.objects.all().iterator():
        changed = []
        if not job.region_code and job.created_by_id:
            if job.created_by_id not in regions:
                superuser = User.objects.filter(pk=job.created_by_id, is_superuser=True).exists()
                prefixes = Grant.objects.filter(user_id=job.created_by_id).values_list("prefix", flat=True)
                regions[job.created_by_id] = "" if superuser else _region_of(prefixes)
            job.region_code = regions[job.created_by_id]
            changed.append("region_code")
        elif job.region_code and len(job.region_code) < 12:
            job.region_code = job.region_code.ljust(12, "0")
            changed.append("region_code")
        path = (job.params or {}).get("path")
        if job.kind in UPLOAD_KINDS and path and job.state in ("queued", "running") and not job.temp_files:
            job.temp_files = [path]
            changed.append("temp_files")
        if changed:
            job.save(update_fields=changed)


class Migration(migrations.Migration):
    dependencies = [
        ("jobs", "0002_lease_and_temp_files"),
        ("accounts", "0002_seed_roles"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]

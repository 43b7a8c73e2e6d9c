"""Background job kinds of the registry."""

from pathlib import Path

from django.conf import settings

from minzheng.foundation.jobs.services import job_kind

from .imports import ImportRefused, households_import


@job_kind("registry.import")
def import_households_job(job, progress):
    path = Path(settings.MEDIA_ROOT) / job.params["path"]
    data = path.read_bytes()
    try:
        report = households_import(
            data=data, user=job.created_by, filename=job.params.get("filename", ""), progress=progress
        )
    except ImportRefused as exc:
        return {"accepted": False, **exc.report}
    finally:
        path.unlink(missing_ok=True)
    return {"accepted": True, **report}

"""Background job kinds of the social-assistance line (registered on import)."""

from __future__ import annotations

import datetime as dt

from minzheng.foundation.jobs.services import job_kind

SIMULATE = "assistance.simulate"


@job_kind(SIMULATE)
def simulate_job(job, progress):
    """提标测算 over every household with means (see :mod:`.simulation`); the figures by township
    are the job's result, the report is built from them per user (``simulation_report``)."""
    from .simulation import change_from_json, simulation_run

    p = job.params
    progress.total(3)
    outcome = simulation_run(
        as_of=dt.date.fromisoformat(p["as_of"]),
        changes=[change_from_json(c) for c in p["changes"]],
        region=p.get("region", ""),
        progress=progress.advance,
        workdir=progress.workdir,  # removed with the job, even after a crash
    )
    return outcome.as_json()

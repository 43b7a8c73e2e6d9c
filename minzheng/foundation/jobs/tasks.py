from celery import shared_task
from celery.signals import worker_ready


@shared_task(name="minzheng.run_job", acks_late=True)
def run_job_task(job_id: int) -> str:
    from .services import job_run

    return job_run(job_id).state


@shared_task(name="minzheng.jobs.reap")
def reap_task() -> dict:
    """Celery beat (``CELERY_BEAT_SCHEDULE``, every lease): recover the jobs whose worker died."""
    from .services import jobs_reap

    return jobs_reap()


@worker_ready.connect
def reap_at_worker_start(sender=None, **kwargs) -> None:
    """A Celery worker starting (after a crash, a deploy) recovers the jobs whose worker died at once,
    as the embedded backend does at start-up, instead of waiting for the next beat run."""
    from .services import jobs_reap

    jobs_reap()

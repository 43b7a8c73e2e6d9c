from celery import shared_task


@shared_task(name="minzheng.run_job", acks_late=True)
def run_job_task(job_id: int) -> str:
    from .services import job_run

    return job_run(job_id).state

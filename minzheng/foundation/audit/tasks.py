"""Celery beat task of the audit checkpoints (``CELERY_BEAT_SCHEDULE["audit-checkpoint"]``)."""

import logging

from celery import shared_task

logger = logging.getLogger("minzheng.audit")


@shared_task(name="minzheng.audit.checkpoint")
def checkpoint_task() -> int | None:
    """Every ``MINZHENG_AUDIT_CHECKPOINT_MINUTES``: anchor the chain's head when it has grown. A
    chain that does not verify gets no checkpoint; the failure is logged as an error and the task
    fails (visible in Celery's monitoring), the audit log's readers get a message in the workbench
    (:func:`.services.audit_alert`), and ``minzheng audit verify`` names the fault."""
    from .services import AuditChainError, audit_alert, audit_checkpoint

    try:
        cp = audit_checkpoint(if_moved=True)
    except AuditChainError as exc:
        logger.error("审计链校验失败，未写入检查点：%s", exc)
        audit_alert(reason=str(exc))
        raise
    return cp.seq if cp else None


@shared_task(name="minzheng.audit.verify")
def verify_task() -> bool:
    """Nightly (``CELERY_BEAT_SCHEDULE["audit-verify"]``): the whole chain against every checkpoint
    (the periodic checkpoint verifies only the rows since the previous one); a fault is logged and
    sent to the audit log's readers."""
    from .services import audit_alert, audit_verify

    result = audit_verify()
    if not result.ok:
        logger.error("审计链校验失败：%s", result.reason)
        audit_alert(reason=result.reason)
    return result.ok

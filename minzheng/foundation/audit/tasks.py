"""Celery beat task of the audit checkpoints (``CELERY_BEAT_SCHEDULE["audit-checkpoint"]``)."""

import logging

from celery import shared_task

logger = logging.getLogger("minzheng.audit")


@shared_task(name="minzheng.audit.checkpoint")
def checkpoint_task() -> int | None:
    """Every ``MINZHENG_AUDIT_CHECKPOINT_MINUTES``: anchor the chain's head when it has grown. A
    chain that does not verify gets no checkpoint; the failure is logged as an error and the task
    fails (visible in Celery's monitoring), and ``minzheng audit verify`` names the fault."""
    from .services import AuditChainError, audit_checkpoint

    try:
        cp = audit_checkpoint(if_moved=True)
    except AuditChainError as exc:
        logger.error("审计链校验失败，未写入检查点：%s", exc)
        raise
    return cp.seq if cp else None

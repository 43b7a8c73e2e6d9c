from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _ensure_append_only(sender, using, **kwargs):
    """Re-install the append-only triggers after every migrate and flush."""
    from django.db import connections

    from .guard import install

    install(connections[using])


class AuditConfig(AppConfig):
    name = "minzheng.foundation.audit"
    label = "audit"
    verbose_name = "审计日志"

    def ready(self):
        post_migrate.connect(_ensure_append_only, sender=self, dispatch_uid="audit-append-only")

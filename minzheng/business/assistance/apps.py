from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _ensure_policy(sender, using, **kwargs):
    """Programs and nationwide policy parameters exist after every migrate and flush."""
    from .case_types import case_types_ensure
    from .services import policy_ensure

    policy_ensure(using=using)
    case_types_ensure()


class AssistanceConfig(AppConfig):
    name = "minzheng.business.assistance"
    label = "assistance"
    verbose_name = "社会救助"

    def ready(self):
        from . import casework, jobs, policy  # noqa: F401  (standard types, job kinds, case hooks)

        post_migrate.connect(_ensure_policy, sender=self, dispatch_uid="assistance-policy")

from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _ensure_policy(sender, using, **kwargs):
    """Programs, nationwide policy parameters, case types, partner data sources and monitoring
    rules exist after every migrate and flush."""
    from .case_types import case_types_ensure
    from .monitoring import monitoring_rules_ensure
    from .services import policy_ensure
    from .sources import sources_ensure

    policy_ensure(using=using)
    case_types_ensure()
    sources_ensure(using=using)
    monitoring_rules_ensure(using=using)


class AssistanceConfig(AppConfig):
    name = "minzheng.business.assistance"
    label = "assistance"
    verbose_name = "社会救助"

    def ready(self):
        # standard types, job kinds, case hooks and dates, case page panels, partner sources, verification
        # findings, monitoring detectors, payroll hold checks, the demo city's steps
        from . import (  # noqa: F401
            case_dates,
            case_panels,
            casework,
            demo_steps,
            jobs,
            monitoring,
            payroll_holds,
            policy,
            requests,
            roll,
            sources,
            temporary,
            verification,
        )

        post_migrate.connect(_ensure_policy, sender=self, dispatch_uid="assistance-policy")

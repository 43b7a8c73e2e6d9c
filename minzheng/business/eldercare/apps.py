from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _ensure_policy(sender, using, **kwargs):
    """The nationwide standards of prepaid fees and incidents exist after every migrate and flush."""
    from .services import policy_ensure

    policy_ensure(using=using)


class EldercareConfig(AppConfig):
    name = "minzheng.business.eldercare"
    label = "eldercare"
    verbose_name = "养老服务"

    def ready(self):
        # the care-home kind, the standard types of prepaid fees and incidents, permissions and the
        # role 养老机构监管员, the demo city's care homes
        from . import demo_portal, demo_steps, permissions, policy  # noqa: F401

        post_migrate.connect(_ensure_policy, sender=self, dispatch_uid="eldercare-policy")

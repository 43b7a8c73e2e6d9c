from django.apps import AppConfig


class VerificationConfig(AppConfig):
    name = "minzheng.engines.verification"
    label = "verification"
    verbose_name = "家庭经济状况核对"

    def ready(self):
        from . import store  # noqa: F401  (registers the partner data with foundation.olap.partners)

from django.apps import AppConfig


class VerificationConfig(AppConfig):
    name = "minzheng.engines.verification"
    label = "verification"
    verbose_name = "家庭经济状况核对"

from django.apps import AppConfig


class RegistryConfig(AppConfig):
    name = "minzheng.foundation.registry"
    label = "registry"
    verbose_name = "人员与家庭"

    def ready(self):
        from . import jobs  # noqa: F401  (registers job kinds)

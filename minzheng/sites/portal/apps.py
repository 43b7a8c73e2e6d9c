from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "minzheng.sites.portal"
    label = "portal"
    verbose_name = "群众门户"

    def ready(self):
        from django.core import checks

        from .applications import check_plugins

        checks.register(check_plugins, "portal")

from django.apps import AppConfig


class PortalAssistanceConfig(AppConfig):
    name = "minzheng.sites.portal.assistance"
    label = "portal_assistance"
    verbose_name = "群众门户：社会救助网上申请"

    def ready(self):
        from . import plugin  # noqa: F401  (registers the application plugin)

from django.apps import AppConfig


class PortalEldercareConfig(AppConfig):
    name = "minzheng.sites.portal.eldercare"
    label = "portal_eldercare"
    verbose_name = "群众门户：养老机构查询和机构端"

    def ready(self):
        from . import registry  # noqa: F401  (the directory entry and the institution pages)

from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "minzheng.sites.portal"
    label = "portal"
    verbose_name = "群众门户"

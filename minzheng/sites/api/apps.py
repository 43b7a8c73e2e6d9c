from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "minzheng.sites.api"
    label = "api"
    verbose_name = "接口"

from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "minzheng.sites.demo"
    label = "demo"
    verbose_name = "示范数据"

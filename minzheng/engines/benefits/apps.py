from django.apps import AppConfig


class BenefitsConfig(AppConfig):
    name = "minzheng.engines.benefits"
    label = "benefits"
    verbose_name = "待遇保障"

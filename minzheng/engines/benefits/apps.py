from django.apps import AppConfig


class BenefitsConfig(AppConfig):
    name = "minzheng.engines.benefits"
    label = "benefits"
    verbose_name = "待遇保障"

    def ready(self):
        from . import bankfiles, jobs  # noqa: F401  (registers bank file layouts and job kinds)

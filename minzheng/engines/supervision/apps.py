from django.apps import AppConfig


class SupervisionConfig(AppConfig):
    name = "minzheng.engines.supervision"
    label = "supervision"
    verbose_name = "监管对象与监督检查"

    def ready(self):
        from . import (  # noqa: F401  (their standard types; the jobs supervision.hazards_overdue and .listings)
            draws,
            gradings,
            jobs,
            limits,
            listings,
        )

from django.apps import AppConfig


class SupervisionConfig(AppConfig):
    name = "minzheng.engines.supervision"
    label = "supervision"
    verbose_name = "监管对象与监督检查"

    def ready(self):
        from . import (
            jobs,  # noqa: F401  (registers the job kind supervision.hazards_overdue)
            limits,  # noqa: F401  (the standard types of time limits)
        )

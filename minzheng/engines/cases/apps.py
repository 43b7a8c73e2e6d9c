from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "minzheng.engines.cases"
    label = "cases"
    verbose_name = "事项与办件"

    def ready(self):
        from . import (
            builtin,  # noqa: F401  (registers the generic guards, effects and documents)
            signatures,  # noqa: F401  (the guard paper_signatures)
        )

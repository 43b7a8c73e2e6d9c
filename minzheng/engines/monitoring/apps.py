from django.apps import AppConfig


class MonitoringConfig(AppConfig):
    name = "minzheng.engines.monitoring"
    label = "monitoring"
    verbose_name = "低收入人口动态监测"

    def ready(self):
        from . import jobs  # noqa: F401  (registers the job kind monitoring.run)

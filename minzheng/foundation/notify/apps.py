from django.apps import AppConfig


class NotifyConfig(AppConfig):
    name = "minzheng.foundation.notify"
    label = "notify"
    verbose_name = "消息通知"

    def ready(self):
        from . import backends, jobs  # noqa: F401  (registers the delivery backends and job kind)

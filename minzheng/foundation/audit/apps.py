from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "minzheng.foundation.audit"
    label = "audit"
    verbose_name = "审计日志"

from django.apps import AppConfig


class ParametersConfig(AppConfig):
    name = "minzheng.foundation.parameters"
    label = "parameters"
    verbose_name = "政策参数"

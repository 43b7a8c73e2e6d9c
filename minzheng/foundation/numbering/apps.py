from django.apps import AppConfig


class NumberingConfig(AppConfig):
    name = "minzheng.foundation.numbering"
    label = "numbering"
    verbose_name = "编号"

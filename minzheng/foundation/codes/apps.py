from django.apps import AppConfig


class CodesConfig(AppConfig):
    name = "minzheng.foundation.codes"
    label = "codes"
    verbose_name = "证件代码"

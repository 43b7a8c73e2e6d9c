from django.apps import AppConfig


class WorkbenchConfig(AppConfig):
    name = "minzheng.sites.workbench"
    label = "workbench"
    verbose_name = "工作台"

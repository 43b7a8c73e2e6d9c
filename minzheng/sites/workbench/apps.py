from django.apps import AppConfig


class WorkbenchConfig(AppConfig):
    name = "minzheng.sites.workbench"
    label = "workbench"
    verbose_name = "工作台"

    def ready(self):
        from .areas import autodiscover
        from .menu import menu_check

        autodiscover()  # every area's URLs and menu entries, before the first request
        menu_check()

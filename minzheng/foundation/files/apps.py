from django.apps import AppConfig


class FilesConfig(AppConfig):
    name = "minzheng.foundation.files"
    label = "files"
    verbose_name = "文件"

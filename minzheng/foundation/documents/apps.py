from django.apps import AppConfig


class DocumentsConfig(AppConfig):
    name = "minzheng.foundation.documents"
    label = "documents"
    verbose_name = "文书"

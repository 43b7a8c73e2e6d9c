from django.apps import AppConfig


class EntitiesConfig(AppConfig):
    name = "minzheng.foundation.entities"
    label = "entities"
    verbose_name = "法人和其他组织"

from django.apps import AppConfig


class WorkcalendarConfig(AppConfig):
    name = "minzheng.foundation.calendar"
    label = "workcalendar"
    verbose_name = "工作日历"

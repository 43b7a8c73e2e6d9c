"""Celery application used in production (``MINZHENG_JOBS=celery``)."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "minzheng.settings")

app = Celery("minzheng")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

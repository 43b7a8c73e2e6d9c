"""minzheng — 民政综合业务平台."""

from .celery import app as celery_app

__all__ = ["celery_app"]
__version__ = "0.1.0"

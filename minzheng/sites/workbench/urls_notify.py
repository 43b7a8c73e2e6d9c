"""Workbench pages: notify (included by urls.py)."""

from django.urls import path

from . import views_notify

urlpatterns = [
    path("messages/", views_notify.inbox, name="messages"),
    path("messages/<int:pk>/read/", views_notify.message_read, name="message_read"),
    path("messages/outbox/", views_notify.outbox, name="messages_outbox"),
    path("messages/outbox/<int:pk>/retry/", views_notify.message_retry, name="message_retry"),
]

"""Workbench pages: the user's password and messages, jobs, the audit log and the working-day
calendar (namespace ``workbench:system``)."""

from django.urls import path

from . import views, views_calendar, views_notify

urlpatterns = [
    path("account/password/", views.password_change, name="password_change"),
    path("jobs/", views.job_list, name="job_list"),
    path("jobs/<int:pk>/", views.job_detail, name="job_detail"),
    path("jobs/<int:pk>/retry/", views.job_retry_view, name="job_retry"),
    path("audit/", views.audit_list, name="audit_list"),
    path("calendar/", views_calendar.calendar, name="calendar"),
    path("calendar/<int:year>/", views_calendar.calendar_year, name="calendar_year"),
    path("calendar/<int:year>/delete/", views_calendar.calendar_year_remove, name="calendar_year_delete"),
    path("messages/", views_notify.inbox, name="messages"),
    path("messages/<int:pk>/read/", views_notify.message_read, name="message_read"),
    path("messages/outbox/", views_notify.outbox, name="messages_outbox"),
    path("messages/outbox/<int:pk>/retry/", views_notify.message_retry, name="message_retry"),
]

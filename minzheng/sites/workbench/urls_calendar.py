"""Workbench pages: calendar (included by urls.py)."""

from django.urls import path

from . import views_calendar

urlpatterns = [
    path("calendar/", views_calendar.calendar, name="calendar"),
    path("calendar/<int:year>/", views_calendar.calendar_year, name="calendar_year"),
    path("calendar/<int:year>/delete/", views_calendar.calendar_year_remove, name="calendar_year_delete"),
]

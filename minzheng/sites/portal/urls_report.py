"""Portal pages: 一键报贫 (included by urls.py)."""

from django.urls import path

from . import views_report as v

urlpatterns = [
    path("report/", v.report, name="report"),
    path("report/done/", v.report_done, name="report_done"),
    path("report/find/", v.report_find, name="report_find"),
    path("report/regions/", v.regions, name="report_regions"),
    path("report/<str:number>/", v.report_status, name="report_status"),
]

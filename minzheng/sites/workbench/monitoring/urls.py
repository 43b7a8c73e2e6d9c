"""Workbench pages: monitoring (预警; namespace ``workbench:monitoring``)."""

from django.urls import path

from . import views as v

urlpatterns = [
    path("monitoring/alerts/", v.alert_list, name="alerts"),
    path("monitoring/alerts/<str:number>/", v.alert_detail, name="alert"),
    path("monitoring/alerts/<str:number>/handle/", v.alert_handle, name="alert_handle"),
    path("monitoring/alerts/<str:number>/referrals/<int:pk>/", v.referral_answer, name="referral_answer"),
    path("monitoring/discovery/", v.discovery, name="discovery"),
    path("monitoring/reports/", v.report_list, name="reports"),
    path("monitoring/reports/new/", v.report_new, name="report_new"),
    path("monitoring/reports/<str:number>/", v.report_detail, name="report"),
    path("monitoring/rules/", v.rules, name="rules"),
    path("monitoring/rules/<str:code>/", v.rule_edit, name="rule_edit"),
    path("monitoring/run/", v.run_now, name="run"),
]

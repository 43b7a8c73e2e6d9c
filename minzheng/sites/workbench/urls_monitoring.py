"""Workbench pages: monitoring (included by urls.py)."""

from django.urls import path

from . import views_monitoring as v

urlpatterns = [
    path("monitoring/alerts/", v.alert_list, name="monitoring_alerts"),
    path("monitoring/alerts/<str:number>/", v.alert_detail, name="monitoring_alert"),
    path("monitoring/alerts/<str:number>/handle/", v.alert_handle, name="monitoring_alert_handle"),
    path("monitoring/alerts/<str:number>/referrals/<int:pk>/", v.referral_answer, name="monitoring_referral_answer"),
    path("monitoring/discovery/", v.discovery, name="monitoring_discovery"),
    path("monitoring/reports/", v.report_list, name="monitoring_reports"),
    path("monitoring/reports/new/", v.report_new, name="monitoring_report_new"),
    path("monitoring/reports/<str:number>/", v.report_detail, name="monitoring_report"),
    path("monitoring/rules/", v.rules, name="monitoring_rules"),
    path("monitoring/rules/<str:code>/", v.rule_edit, name="monitoring_rule_edit"),
    path("monitoring/run/", v.run_now, name="monitoring_run"),
    path("households/<int:pk>/chain/", v.household_chain, name="household_chain"),
]

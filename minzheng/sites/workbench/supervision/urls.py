"""Workbench pages: supervision (监管对象, 检查, 隐患台账; namespace ``workbench:supervision``)."""

from django.urls import path

from . import oversight as o
from . import views as v

urlpatterns = [
    path("supervision/entities/", v.entity_list, name="entities"),
    path("supervision/entities/<int:pk>/", v.entity_detail, name="entity"),
    path("supervision/entities/<int:pk>/inspect/", v.inspection_new, name="inspection_new"),
    path("supervision/entities/<int:pk>/attributes/", v.entity_attributes, name="entity_attributes"),
    path("supervision/entities/<int:pk>/status/", v.entity_status, name="entity_status"),
    path("supervision/entities/<int:pk>/accounts/", v.account_new, name="account_new"),
    path("supervision/entities/<int:pk>/accounts/<int:account_id>/end/", v.account_end, name="account_end"),
    path("supervision/inspections/<int:pk>/", v.inspection_form, name="inspection"),
    path("supervision/inspections/<int:pk>/complete/", v.inspection_complete, name="inspection_complete"),
    path("supervision/inspections/<int:pk>/record.pdf", v.inspection_record, name="inspection_record"),
    path("supervision/hazards/", v.hazard_list, name="hazards"),
    path("supervision/hazards/<int:pk>/", v.hazard_detail, name="hazard"),
    path("supervision/hazards/<int:pk>/rectify/", v.hazard_rectify, name="hazard_rectify"),
    path("supervision/hazards/<int:pk>/reinspect/", v.hazard_reinspect, name="hazard_reinspect"),
    # 双随机抽查计划 and avoidances
    path("supervision/draws/", o.draw_list, name="draws"),
    path("supervision/draws/new/", o.draw_new, name="draw_new"),
    path("supervision/draws/<int:pk>/", o.draw_detail, name="draw"),
    path("supervision/draws/<int:pk>/verify/", o.draw_verify, name="draw_verify"),
    path("supervision/draws/<int:pk>/publish/", o.draw_publish, name="draw_publish"),
    path("supervision/draws/<int:pk>/findings/", o.draw_findings_publish, name="draw_findings"),
    path("supervision/entities/<int:pk>/avoidances/", o.avoidance_declare, name="avoidance_declare"),
    path("supervision/avoidances/<int:pk>/end/", o.avoidance_end, name="avoidance_end"),
    # 等级评定
    path("supervision/entities/<int:pk>/grading/", o.grading_start, name="grading_start"),
    path("supervision/gradings/<int:pk>/", o.grading_detail, name="grading"),
    path("supervision/gradings/<int:pk>/score/", o.grading_score, name="grading_score"),
    path("supervision/gradings/<int:pk>/close/", o.grading_close, name="grading_close"),
    path("supervision/gradings/<int:pk>/notice/", o.grading_notice, name="grading_notice"),
    path("supervision/gradings/<int:pk>/decide/", o.grading_decide, name="grading_decide"),
    path("supervision/gradings/<int:pk>/return/", o.grading_return, name="grading_return"),
    path("supervision/gradings/<int:pk>/withdraw/", o.grading_withdraw, name="grading_withdraw"),
    path("supervision/grades/expiring/", o.grades_expiring, name="grades_expiring"),
    # 名录
    path("supervision/listings/", o.listing_list, name="listings"),
    path("supervision/entities/<int:pk>/listings/", o.listing_add, name="listing_add"),
    path("supervision/listings/<int:pk>/remove/", o.listing_remove, name="listing_remove"),
    # 年度报告
    path("supervision/reports/", o.report_list, name="reports"),
    path("supervision/entities/<int:pk>/reports/new/", o.report_new, name="report_new"),
    path("supervision/reports/<int:pk>/", o.report_detail, name="report"),
    path("supervision/reports/<int:pk>/review/", o.report_review, name="report_review"),
]

"""Workbench pages: supervision (监管对象, 检查, 隐患台账; namespace ``workbench:supervision``)."""

from django.urls import path

from . import views as v

urlpatterns = [
    path("supervision/entities/", v.entity_list, name="entities"),
    path("supervision/entities/<int:pk>/", v.entity_detail, name="entity"),
    path("supervision/entities/<int:pk>/inspect/", v.inspection_new, name="inspection_new"),
    path("supervision/entities/<int:pk>/attributes/", v.entity_attributes, name="entity_attributes"),
    path("supervision/entities/<int:pk>/status/", v.entity_status, name="entity_status"),
    path("supervision/inspections/<int:pk>/", v.inspection_form, name="inspection"),
    path("supervision/inspections/<int:pk>/complete/", v.inspection_complete, name="inspection_complete"),
    path("supervision/inspections/<int:pk>/record.pdf", v.inspection_record, name="inspection_record"),
    path("supervision/hazards/", v.hazard_list, name="hazards"),
    path("supervision/hazards/<int:pk>/", v.hazard_detail, name="hazard"),
    path("supervision/hazards/<int:pk>/rectify/", v.hazard_rectify, name="hazard_rectify"),
    path("supervision/hazards/<int:pk>/reinspect/", v.hazard_reinspect, name="hazard_reinspect"),
]

"""Workbench pages: cases (included by urls.py)."""

from django.urls import path

from . import views_cases as v

urlpatterns = [
    path("cases/", v.case_list, name="case_list"),
    path("cases/inbox/", v.inbox, name="inbox"),
    path("cases/new/", v.case_new, name="case_new"),
    path("cases/supervision/", v.supervision, name="supervision"),
    path("cases/notices/", v.notices, name="notices"),
    path("cases/<str:number>/", v.case_detail, name="case_detail"),
    path("cases/<str:number>/act/", v.case_act, name="case_act"),
    path("cases/<str:number>/claim/", v.case_claim, name="case_claim"),
    path("cases/<str:number>/release/", v.case_release, name="case_release"),
    path("cases/<str:number>/suspend/", v.case_suspend, name="case_suspend"),
    path("cases/<str:number>/resume/", v.case_resume, name="case_resume"),
    path("cases/<str:number>/extend/", v.case_extend, name="case_extend"),
    path("cases/<str:number>/materials/", v.case_material, name="case_material"),
    path("cases/<str:number>/files/<int:pk>/", v.case_file, name="case_file"),
    path("cases/<str:number>/documents/<int:pk>/download/", v.document_download, name="case_document_download"),
    path("cases/<str:number>/documents/<str:kind>/", v.case_document, name="case_document"),
    path("cases/<str:number>/objections/", v.case_objection, name="case_objection"),
]

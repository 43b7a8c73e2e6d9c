"""Workbench pages: cases (namespace ``workbench:cases``)."""

from django.urls import path

from . import views as v

urlpatterns = [
    path("cases/", v.case_list, name="list"),
    path("cases/inbox/", v.inbox, name="inbox"),
    path("cases/new/", v.case_new, name="new"),
    path("cases/supervision/", v.supervision, name="supervision"),
    path("cases/notices/", v.notices, name="notices"),
    path("cases/<str:number>/", v.case_detail, name="detail"),
    path("cases/<str:number>/act/", v.case_act, name="act"),
    path("cases/<str:number>/claim/", v.case_claim, name="claim"),
    path("cases/<str:number>/release/", v.case_release, name="release"),
    path("cases/<str:number>/suspend/", v.case_suspend, name="suspend"),
    path("cases/<str:number>/resume/", v.case_resume, name="resume"),
    path("cases/<str:number>/extend/", v.case_extend, name="extend"),
    path("cases/<str:number>/materials/", v.case_material, name="material"),
    path("cases/<str:number>/files/<int:pk>/", v.case_file, name="file"),
    path("cases/<str:number>/documents/<int:pk>/download/", v.document_download, name="document_download"),
    path("cases/<str:number>/documents/<str:kind>/", v.case_document, name="document"),
    path("cases/<str:number>/objections/", v.case_objection, name="objection"),
]

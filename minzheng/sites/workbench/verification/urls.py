"""Workbench pages: verification (核对; namespace ``workbench:verification``)."""

from django.urls import path

from . import views as v

urlpatterns = [
    path("verification/", v.request_list, name="list"),
    path("verification/new/", v.request_new, name="new"),
    path("verification/batch/", v.batch, name="batch"),
    path("verification/batch/<int:pk>/", v.batch_detail, name="batch_detail"),
    path("verification/batch/<int:pk>/file/", v.batch_file, name="batch_file"),
    path("verification/reports/<str:number>/pdf/", v.report_pdf, name="report_pdf"),
    path("verification/reports/<str:number>/adopt/", v.report_adopt_view, name="adopt"),
    path("verification/reports/<str:number>/appeal/", v.appeal_new, name="appeal"),
    path("verification/appeals/<int:pk>/decide/", v.appeal_decide, name="appeal_decide"),
    path("verification/<str:number>/", v.request_detail, name="detail"),
    path("verification/<str:number>/issue/", v.request_issue, name="issue"),
    path("verification/<str:number>/authorizations/<int:pk>/", v.authorization_file, name="authorization"),
]

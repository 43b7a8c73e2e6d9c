"""Workbench pages: verification (included by urls.py)."""

from django.urls import path

from . import views_verification as v

urlpatterns = [
    path("verification/", v.request_list, name="verification_list"),
    path("verification/new/", v.request_new, name="verification_new"),
    path("verification/batch/", v.batch, name="verification_batch"),
    path("verification/batch/<int:pk>/", v.batch_detail, name="verification_batch_detail"),
    path("verification/batch/<int:pk>/file/", v.batch_file, name="verification_batch_file"),
    path("verification/reports/<str:number>/pdf/", v.report_pdf, name="verification_report_pdf"),
    path("verification/reports/<str:number>/adopt/", v.report_adopt_view, name="verification_adopt"),
    path("verification/reports/<str:number>/appeal/", v.appeal_new, name="verification_appeal"),
    path("verification/appeals/<int:pk>/decide/", v.appeal_decide, name="verification_appeal_decide"),
    path("verification/<str:number>/", v.request_detail, name="verification_detail"),
    path("verification/<str:number>/issue/", v.request_issue, name="verification_issue"),
    path("verification/<str:number>/authorizations/<int:pk>/", v.authorization_file, name="verification_authorization"),
]

"""Portal pages: 我的办件 and 进度查询 (included by urls.py)."""

from django.urls import path

from . import views_track as v

urlpatterns: list = [
    path("cases/", v.cases, name="cases"),
    path("cases/<str:number>/", v.case, name="case"),
    path("cases/<str:number>/upload/", v.case_upload, name="case_upload"),
    path("cases/<str:number>/documents/<int:pk>/", v.case_document, name="case_document"),
    path("lookup/", v.lookup, name="lookup"),
]

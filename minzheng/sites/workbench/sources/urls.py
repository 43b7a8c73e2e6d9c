"""Workbench pages: partner data sources (数据源; namespace ``workbench:sources:list``)."""

from django.urls import path

from . import views as views_sources

urlpatterns = [
    path("sources/", views_sources.sources_list, name="list"),
    path("sources/jobs/<int:pk>/", views_sources.source_job, name="job"),
    path("sources/batches/<int:pk>/", views_sources.batch_detail, name="batch"),
    path("sources/batches/<int:pk>/reveal/<int:row_no>/", views_sources.batch_reveal, name="batch_reveal"),
    path("sources/<str:code>/", views_sources.source_detail, name="detail"),
    path("sources/<str:code>/template.csv", views_sources.source_template, name="template"),
    path("sources/<str:code>/upload/", views_sources.source_upload, name="upload"),
]

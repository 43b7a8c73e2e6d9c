"""Workbench pages: partner data sources (数据源), included by urls.py."""

from django.urls import path

from . import views_sources

urlpatterns = [
    path("sources/", views_sources.sources_list, name="sources"),
    path("sources/jobs/<int:pk>/", views_sources.source_job, name="source_job"),
    path("sources/batches/<int:pk>/", views_sources.batch_detail, name="source_batch"),
    path("sources/batches/<int:pk>/reveal/<int:row_no>/", views_sources.batch_reveal, name="source_batch_reveal"),
    path("sources/<str:code>/", views_sources.source_detail, name="source_detail"),
    path("sources/<str:code>/template.csv", views_sources.source_template, name="source_template"),
    path("sources/<str:code>/upload/", views_sources.source_upload, name="source_upload"),
]

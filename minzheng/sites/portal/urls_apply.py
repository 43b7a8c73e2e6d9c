"""Portal pages: 事项指南 and 我要申请 (included by urls.py), with the URLs of the registered
application plugins' own actions (read once, when the URLconf loads)."""

from django.urls import path

from . import views_apply as v
from .applications import APPLICATIONS

urlpatterns: list = [
    path("guide/", v.guide, name="guide"),
    path("guide/<str:code>/", v.guide_item, name="guide_item"),
    path("apply/", v.apply, name="apply"),
    path("apply/<int:pk>/", v.apply_draft, name="apply_draft"),
    path("apply/<int:pk>/upload/", v.apply_upload, name="apply_upload"),
    path("apply/<int:pk>/files/<int:index>/remove/", v.apply_file_remove, name="apply_file_remove"),
    *(pattern for plugin in APPLICATIONS.values() for pattern in plugin.urlpatterns),
    path("apply/<int:pk>/submit/", v.apply_submit, name="apply_submit"),
    path("apply/<int:pk>/discard/", v.apply_discard, name="apply_discard"),
    path("apply/<int:pk>/<str:step>/", v.apply_step, name="apply_step"),
    path("apply/done/<str:number>/", v.apply_done, name="apply_done"),
]

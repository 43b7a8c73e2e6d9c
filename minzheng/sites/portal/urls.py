from django.urls import path

from . import urls_account, urls_apply, urls_institution, urls_report, urls_track, views

app_name = "portal"
urlpatterns = [
    path("notices/", views.notices, name="notices"),
    path("notices/<int:pk>/objection/", views.objection, name="objection"),
]
urlpatterns += urls_account.urlpatterns + urls_apply.urlpatterns + urls_track.urlpatterns + urls_report.urlpatterns
urlpatterns += urls_institution.urlpatterns

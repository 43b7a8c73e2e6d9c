from django.urls import path

from . import views

app_name = "portal"
urlpatterns = [
    path("notices/", views.notices, name="notices"),
    path("notices/<int:pk>/objection/", views.objection, name="objection"),
]

"""Workbench pages: persons, households and the import (namespace ``workbench:registry``)."""

from django.urls import path

from . import views

urlpatterns = [
    path("persons/", views.person_list, name="person_list"),
    path("persons/new/", views.person_edit, name="person_new"),
    path("persons/<int:pk>/", views.person_detail, name="person_detail"),
    path("persons/<int:pk>/edit/", views.person_edit, name="person_edit"),
    path("persons/<int:pk>/reveal/<str:field>/", views.person_reveal, name="person_reveal"),
    path("households/", views.household_list, name="household_list"),
    path("households/new/", views.household_new, name="household_new"),
    path("households/<int:pk>/", views.household_detail, name="household_detail"),
    path("households/<int:pk>/edit/", views.household_edit, name="household_edit"),
    path("households/<int:pk>/reveal/<str:field>/", views.household_reveal, name="household_reveal"),
    path("households/<int:pk>/members/add/", views.household_member_add, name="household_member_add"),
    path(
        "households/<int:pk>/members/<int:membership_id>/end/",
        views.household_member_end,
        name="household_member_end",
    ),
    path("import/", views.import_households, name="import"),
    path("import/template.xlsx", views.import_template, name="import_template"),
]

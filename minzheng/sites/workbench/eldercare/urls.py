"""Workbench pages of the eldercare line (namespace ``workbench:eldercare``)."""

from django.urls import path

from . import views

urlpatterns = [
    path("eldercare/homes/", views.homes, name="homes"),
    path("eldercare/homes/<int:pk>/", views.home, name="home"),
    path("eldercare/homes/<int:pk>/admit/", views.admit, name="admit"),
    path("eldercare/admissions/<int:pk>/discharge/", views.discharge, name="discharge"),
    path("eldercare/breaches/", views.breaches, name="breaches"),
    path("eldercare/figures/", views.figures, name="figures"),
    path("eldercare/figures/export/", views.figures_export, name="figures_export"),
]

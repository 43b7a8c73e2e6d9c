"""Workbench pages of the 低保 line: the assessment, 提标测算 and the household's 救助链
(namespace ``workbench:assistance``)."""

from django.urls import path

from . import views

urlpatterns = [
    path("benefits/assess/", views.assess, name="assess"),
    path("benefits/assess/member/", views.assess_member_row, name="assess_member_row"),
    path("benefits/assess/households/", views.assess_households, name="assess_households"),
    path("benefits/simulation/", views.simulation, name="simulation"),
    path("benefits/simulation/<int:pk>/", views.simulation_detail, name="simulation_detail"),
    path("households/<int:pk>/chain/", views.household_chain, name="household_chain"),
]

"""Portal pages: the institution site (机构端) and the public supervision pages (双随机公开, 机构查询)
(included by urls.py)."""

from django.urls import path

from . import views_institution as v
from . import views_public as p

urlpatterns: list = [
    path("institution/", v.home, name="inst_home"),
    path("institution/login/", v.login, name="inst_login"),
    path("institution/login/code/", v.login_code, name="inst_login_code"),
    path("institution/logout/", v.logout, name="inst_logout"),
    path("institution/hazards/<int:pk>/", v.hazard, name="inst_hazard"),
    path("institution/hazards/<int:pk>/rectify/", v.hazard_rectify, name="inst_hazard_rectify"),
    path("institution/reports/<str:code>/<int:year>/", v.report, name="inst_report"),
    path("institution/token/", v.token, name="inst_token"),
    path("institution/p/<str:code>/", v.page, name="inst_page"),
    path("institution/p/<str:code>/<path:subpath>", v.page, name="inst_page_sub"),
    path("draws/", p.draws, name="draws"),
    path("bodies/", p.directory, name="bodies"),
    path("bodies/<str:kind>/", p.directory_kind, name="bodies_kind"),
    path("bodies/<str:kind>/<int:pk>/", p.body, name="body"),
]

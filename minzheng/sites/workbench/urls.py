"""The workbench's root URLconf: the shell (home, sign-in, the number search) and every area found
by :func:`.areas.autodiscover`, each under its own namespace (``workbench:<area>:<name>``)."""

from importlib import import_module

from django.contrib.auth import views as auth_views
from django.urls import include, path

from . import views
from .areas import autodiscover
from .common import search

app_name = "workbench"
urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(next_page="workbench:login"), name="logout"),
    path("search/", search.search_post, name="search"),
]
for area in autodiscover():
    urlpatterns.append(path("", include((import_module(area.urls).urlpatterns, area.namespace))))

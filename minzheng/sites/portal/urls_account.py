"""Portal pages: account (included by urls.py)."""

from django.urls import path

from . import views_account as views

urlpatterns: list = [
    path("", views.home, name="home"),
    path("login/", views.login, name="login"),
    path("login/code/", views.login_code, name="login_code"),
    path("logout/", views.logout, name="logout"),
    path("account/", views.account, name="account"),
    path("messages/", views.messages, name="messages"),
    path("messages/read/", views.messages_read, name="messages_read"),
    path("large-text/", views.large_text, name="large_text"),
]

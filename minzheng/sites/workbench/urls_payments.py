"""Workbench pages: one-off payments (included by urls.py)."""

from django.urls import path

from . import views_payments

urlpatterns = [
    path("benefits/payments/", views_payments.payment_list, name="payment_list"),
    path("benefits/payments/<str:number>/settle/", views_payments.payment_settle, name="payment_settle"),
]

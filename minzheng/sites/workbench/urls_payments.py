"""Workbench pages: one-off payments (included by urls.py)."""

from django.urls import path

from . import views_payments

urlpatterns = [
    path("benefits/payments/", views_payments.payment_list, name="payment_list"),
    path("benefits/payments/<str:number>/settle/", views_payments.payment_settle, name="payment_settle"),
    path("benefits/payments/<str:number>/reissue/", views_payments.payment_reissue, name="payment_reissue"),
    path("benefits/payments/<str:number>/recovered/", views_payments.payment_recovered, name="payment_recovered"),
]

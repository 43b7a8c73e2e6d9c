"""Workbench pages: standards, the roll, reviews due, payroll, one-off payments and the monthly
statistics (namespace ``workbench:benefits``)."""

from django.urls import path

from . import views, views_payments, views_payroll

urlpatterns = [
    path("benefits/standards/", views.standards_list, name="standards"),
    path("benefits/standards/<str:key>/", views.standard_history, name="standard_history"),
    path("benefits/enrollments/", views.enrollment_list, name="enrollments"),
    path("benefits/enrollments/<int:pk>/", views.enrollment_detail, name="enrollment_detail"),
    path("benefits/enrollments/<int:pk>/change/", views.enrollment_change_open, name="enrollment_change"),
    path("benefits/reviews-due/", views.reviews_due, name="reviews_due"),
    path("benefits/payroll/", views.payroll_list, name="payroll"),
    path("benefits/payroll/generate/", views.payroll_generate, name="payroll_generate"),
    path("benefits/payroll/jobs/<int:pk>/", views.payroll_job, name="payroll_job"),
    path("benefits/payroll/<int:pk>/", views.payroll_detail, name="payroll_detail"),
    path("benefits/payroll/<int:pk>/recalculate/", views.payroll_recalculate, name="payroll_recalculate"),
    path("benefits/payroll/<int:pk>/approve/", views_payroll.payroll_approve, name="payroll_approve"),
    path("benefits/payroll/<int:pk>/release/", views_payroll.payroll_hold_release, name="payroll_hold_release"),
    path("benefits/payroll/<int:pk>/export/", views.payroll_export, name="payroll_export"),
    path("benefits/payroll/<int:pk>/reconcile/", views.payroll_reconcile, name="payroll_reconcile"),
    path("benefits/payroll/<int:pk>/reissue/", views.payroll_reissue, name="payroll_reissue"),
    path("benefits/statistics/", views.statistics, name="statistics"),
    path("benefits/payments/", views_payments.payment_list, name="payment_list"),
    path("benefits/payments/<str:number>/settle/", views_payments.payment_settle, name="payment_settle"),
    path("benefits/payments/<str:number>/reissue/", views_payments.payment_reissue, name="payment_reissue"),
    path("benefits/payments/<str:number>/recovered/", views_payments.payment_recovered, name="payment_recovered"),
]

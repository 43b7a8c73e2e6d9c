from django.contrib.auth import views as auth_views
from django.urls import path

from . import (
    search,
    urls_calendar,
    urls_cases,
    urls_monitoring,
    urls_notify,
    urls_payments,
    urls_sources,
    urls_verification,
    views,
    views_benefits,
    views_payroll,
)

app_name = "workbench"
urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(next_page="workbench:login"), name="logout"),
    path("account/password/", views.password_change, name="password_change"),
    path("search/", search.search_post, name="search"),
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
    path("jobs/", views.job_list, name="job_list"),
    path("jobs/<int:pk>/", views.job_detail, name="job_detail"),
    path("jobs/<int:pk>/retry/", views.job_retry_view, name="job_retry"),
    path("audit/", views.audit_list, name="audit_list"),
    # benefits and social assistance (views_benefits)
    path("benefits/standards/", views_benefits.standards_list, name="standards"),
    path("benefits/standards/<str:key>/", views_benefits.standard_history, name="standard_history"),
    path("benefits/assess/", views_benefits.assess, name="assess"),
    path("benefits/assess/member/", views_benefits.assess_member_row, name="assess_member_row"),
    path("benefits/assess/households/", views_benefits.assess_households, name="assess_households"),
    path("benefits/enrollments/", views_benefits.enrollment_list, name="enrollments"),
    path("benefits/enrollments/<int:pk>/", views_benefits.enrollment_detail, name="enrollment_detail"),
    path("benefits/enrollments/<int:pk>/change/", views_benefits.enrollment_change_open, name="enrollment_change"),
    path("benefits/reviews-due/", views_benefits.reviews_due, name="reviews_due"),
    path("benefits/payroll/", views_benefits.payroll_list, name="payroll"),
    path("benefits/payroll/generate/", views_benefits.payroll_generate, name="payroll_generate"),
    path("benefits/payroll/jobs/<int:pk>/", views_benefits.payroll_job, name="payroll_job"),
    path("benefits/payroll/<int:pk>/", views_benefits.payroll_detail, name="payroll_detail"),
    path("benefits/payroll/<int:pk>/recalculate/", views_benefits.payroll_recalculate, name="payroll_recalculate"),
    path("benefits/payroll/<int:pk>/approve/", views_payroll.payroll_approve, name="payroll_approve"),
    path("benefits/payroll/<int:pk>/release/", views_payroll.payroll_hold_release, name="payroll_hold_release"),
    path("benefits/payroll/<int:pk>/export/", views_benefits.payroll_export, name="payroll_export"),
    path("benefits/payroll/<int:pk>/reconcile/", views_benefits.payroll_reconcile, name="payroll_reconcile"),
    path("benefits/payroll/<int:pk>/reissue/", views_benefits.payroll_reissue, name="payroll_reissue"),
    path("benefits/statistics/", views_benefits.statistics, name="statistics"),
    path("benefits/simulation/", views_benefits.simulation, name="simulation"),
    path("benefits/simulation/<int:pk>/", views_benefits.simulation_detail, name="simulation_detail"),
]
urlpatterns += urls_cases.urlpatterns + urls_calendar.urlpatterns + urls_notify.urlpatterns
urlpatterns += urls_sources.urlpatterns + urls_verification.urlpatterns + urls_monitoring.urlpatterns
urlpatterns += urls_payments.urlpatterns

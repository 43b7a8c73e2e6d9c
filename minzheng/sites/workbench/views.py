"""The workbench's shell: sign-in and the home page (the user's to-dos and counts)."""

from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils import timezone

from minzheng.foundation.jobs.models import JobRun
from minzheng.foundation.regions.selectors import region_names
from minzheng.foundation.registry.models import Household, Person


class LoginView(auth_views.LoginView):
    template_name = "workbench/login.html"
    redirect_authenticated_user = True


def _task_row(task, flags) -> tuple:
    """(task, deadline flag); while its 公示 runs the task shows the notice period and no flag."""
    if not (task.not_before and flags.today_ < task.not_before):
        task.notice = None
    return task, "" if task.notice else flags.of(task.due_date)


@login_required
def home(request):
    user = request.user
    grants = user.grants.select_related("role", "region") if not user.is_superuser else []
    from minzheng.engines.cases import selectors as cases

    from .benefits.views_payroll import cycles_to_approve

    tasks = cases.inbox(user)
    flags = cases.Flags.today()
    payroll_todo = list(cycles_to_approve(user)[:10])
    context = {
        # caseworkers start from their inbox (待办): the first tasks by deadline, and the counts
        "tasks": [_task_row(t, flags) for t in cases.tasks_with_notices(tasks[:10])],
        "tasks_open": tasks.count(),
        "tasks_overdue": tasks.filter(due_date__lt=flags.today_).count(),
        "tasks_near": tasks.filter(due_date__gte=flags.today_, due_date__lte=flags.warn_until).count(),
        "calendar_warning": cases.calendar_warning(),
        "payroll_todo": payroll_todo,  # 发放批次 awaiting this finance officer's approval
        "payroll_names": region_names(c.region_code for c in payroll_todo),
        "grants": grants,
        "persons": Person.objects.for_user(user, "registry.view").count(),
        "households": Household.objects.for_user(user, "registry.view").count(),
        "jobs": JobRun.objects.filter(created_by=user)[:5],
        "today": timezone.localdate(),
    }
    return render(request, "workbench/home.html", context)

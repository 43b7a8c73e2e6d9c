"""The workbench's shell: sign-in and the home page (the user's to-dos and counts)."""

from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils import timezone

from minzheng.foundation.jobs.models import JobRun

from .home import home_cards


class LoginView(auth_views.LoginView):
    template_name = "workbench/login.html"
    redirect_authenticated_user = True


@login_required
def home(request):
    user = request.user
    grants = user.grants.select_related("role", "region") if not user.is_superuser else []
    context = {
        # what each area has for this user (home.py): 待办, 发放批次 to approve, the counts …
        "cards": home_cards(request),
        "grants": grants,
        "jobs": JobRun.objects.filter(created_by=user)[:5],
        "today": timezone.localdate(),
    }
    return render(request, "workbench/home.html", context)

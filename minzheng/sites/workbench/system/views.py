"""System pages: the staff member's own password, background jobs and the audit log."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from minzheng.foundation.accounts.scoping import ALL, user_prefixes
from minzheng.foundation.accounts.services import password_change as password_change_service
from minzheng.foundation.audit.models import AuditEvent
from minzheng.foundation.audit.services import audit_verify
from minzheng.foundation.jobs.selectors import jobs_for_user
from minzheng.foundation.jobs.services import job_can_retry, job_retry
from minzheng.foundation.regions.prefixes import prefix_q

from ..common.paging import paged
from ..common.permissions import require
from .forms import StaffPasswordChangeForm


@login_required
def password_change(request):
    """The signed-in member of staff changes their own password (the project's policy); the other
    sessions and every API token of the user end with it (accounts.services.password_change)."""
    form = StaffPasswordChangeForm(request.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        revoked = password_change_service(user=request.user, new_password=form.cleaned_data["new_password1"])
        update_session_auth_hash(request, request.user)  # this session stays signed in
        note = f"，{revoked} 个接口令牌已失效" if revoked else ""
        messages.success(request, f"密码已修改。其他设备上的登录已退出{note}。")
        return redirect("workbench:home")
    return render(
        request,
        "workbench/common/form.html",
        {"form": form, "title": "修改密码", "submit": "修改密码"},
        status=422 if form.errors else 200,
    )


@login_required
def job_list(request):
    """The user's own jobs and those of the regions the user administers (``jobs.manage``)."""
    jobs = jobs_for_user(request.user).select_related("created_by")
    return render(request, "workbench/system/job_list.html", {"jobs": jobs[:100]})


@login_required
def job_detail(request, pk):
    job = get_object_or_404(jobs_for_user(request.user), pk=pk)
    template = (
        "workbench/system/_job_status.html" if request.headers.get("HX-Request") else "workbench/system/job_detail.html"
    )
    return render(request, template, {"job": job, "can_retry": job_can_retry(user=request.user, job=job)})


@login_required
@require_POST
def job_retry_view(request, pk):
    """重试: a failed job queued again (``jobs.manage`` over its region; audited)."""
    job = get_object_or_404(jobs_for_user(request.user), pk=pk)
    try:
        job_retry(job=job, user=request.user)  # PermissionDenied: 403
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    else:
        messages.success(request, "任务已重新排队")
    return redirect("workbench:system:job_detail", pk=job.pk)


@login_required
def audit_list(request):
    require(request.user, "audit.view")
    prefixes = user_prefixes(request.user, "audit.view")
    qs = AuditEvent.objects.all()
    if prefixes is not ALL:
        qs = qs.filter(prefix_q("region_code", prefixes))
    page = paged(request, qs, 50)
    verify = audit_verify() if request.GET.get("verify") else None
    return render(request, "workbench/system/audit_list.html", {"page": page, "verify": verify})

"""Workbench pages of the partner data sources (数据源): the catalog with each source's current
batch and a 逾期 badge, a source's schema and batches, the upload (a background job with a
progress page, then the batch), a batch's figures, its row errors when refused, its first rows
(masked) with an audited reveal.

Thin views: the checking and storing is :mod:`minzheng.engines.verification.store`.
"""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from minzheng.engines.verification import store
from minzheng.engines.verification.models import BatchState, DataSource, SourceBatch
from minzheng.foundation.accounts.reveals import RevealLimited
from minzheng.foundation.accounts.scoping import has_permission
from minzheng.foundation.jobs.models import JobRun, JobState
from minzheng.foundation.jobs.selectors import jobs_for_user
from minzheng.foundation.jobs.services import job_enqueue, job_upload_save
from minzheng.foundation.tabular import source_caps, too_large_message

from ..common.errors import reveal_refused
from ..common.permissions import require


class UploadForm(forms.Form):
    file = forms.FileField(label="数据文件（CSV 或 .xlsx）")
    as_of = forms.DateField(
        label="数据日期",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="部门导出数据的日期；不填为今天",
    )

    def clean_file(self):
        f = self.cleaned_data["file"]
        if f.size > settings.MINZHENG_SOURCES_MAX_BYTES:
            raise forms.ValidationError(too_large_message(source_caps(xlsx=False)))
        head = f.read(8192)
        f.seek(0)
        if head.startswith(b"\xd0\xcf\x11\xe0"):
            raise forms.ValidationError("不支持旧版 .xls 文件，请另存为 .xlsx 或 CSV")
        if not head.startswith(b"PK\x03\x04") and b"\x00" in head:
            raise forms.ValidationError("文件内容不是 CSV 或 Excel（.xlsx）")
        return f

    def clean_as_of(self):
        day = self.cleaned_data.get("as_of")
        if day and day > timezone.localdate():
            raise forms.ValidationError("数据日期不能晚于今天")
        return day


def _source(code: str) -> DataSource:
    return get_object_or_404(DataSource, code=code)


@login_required
def sources_list(request):
    require(request.user, "sources.view")
    current = store.current_batches()
    today = timezone.localdate()
    rows = []
    for ds in DataSource.objects.order_by("sort", "code"):
        batch = current.get(ds.code)
        rows.append({"source": ds, "batch": batch, "stale": store.is_stale(batch, ds, today)})
    return render(
        request,
        "workbench/sources/list.html",
        {"rows": rows, "can_load": has_permission(request.user, "sources.load")},
    )


@login_required
def source_detail(request, code):
    require(request.user, "sources.view")
    ds = _source(code)
    current = store.current_batches([code]).get(code)
    page = Paginator(ds.batches.select_related("loaded_by").order_by("-loaded_at", "-pk"), 20).get_page(
        request.GET.get("page")
    )
    context = {
        "source": ds,
        "current": current,
        "stale": store.is_stale(current, ds),
        "page": page,
        "file_columns": store.batch_columns(ds),
        "type_labels": store.TYPE_LABELS,
        "can_load": has_permission(request.user, "sources.load"),
    }
    return render(request, "workbench/sources/detail.html", context)


@login_required
def source_template(request, code):
    require(request.user, "sources.view")
    ds = _source(code)
    response = HttpResponse(store.template_csv(ds), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f"attachment; filename={ds.code}-template.csv"
    return response


@login_required
def source_upload(request, code):
    require(request.user, "sources.load")
    ds = _source(code)
    if not ds.enabled:
        raise Http404("该数据源已停用")
    if request.method == "POST":
        form = UploadForm(request.POST, request.FILES)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            relative = job_upload_save(upload, prefix="sources-")  # deleted when the job ends
            as_of = form.cleaned_data.get("as_of")
            job = job_enqueue(
                kind=store.LOAD_JOB,
                title=f"导入{ds.name}：{upload.name}",
                params={
                    "source": ds.code,
                    "path": relative,
                    "file_name": upload.name,
                    "as_of": as_of.isoformat() if as_of else None,
                },
                user=request.user,
                temp_files=[relative],
            )
            return redirect("workbench:sources:job", pk=job.pk)
    else:
        form = UploadForm()
    return render(request, "workbench/sources/upload.html", {"source": ds, "form": form})


def _job_get(user, pk) -> JobRun:
    job = jobs_for_user(user).filter(pk=pk, kind=store.LOAD_JOB).first()
    if job is None:
        raise Http404("找不到该任务")
    return job


@login_required
def source_job(request, pk):
    """The load's progress (polled by htmx); when done, the batch."""
    require(request.user, "sources.view")
    job = _job_get(request.user, pk)
    batch = None
    if job.state == JobState.SUCCEEDED and job.result.get("batch"):
        batch = SourceBatch.objects.select_related("source").filter(pk=job.result["batch"]).first()
    context = {"job": job, "batch": batch, "source": DataSource.objects.filter(code=job.params.get("source")).first()}
    if request.headers.get("HX-Request"):
        return render(request, "workbench/sources/_job.html", context)
    return render(request, "workbench/sources/job.html", context)


@login_required
def batch_detail(request, pk):
    require(request.user, "sources.view")
    batch = get_object_or_404(SourceBatch.objects.select_related("source", "loaded_by"), pk=pk)
    ds = batch.source
    current = store.current_batches([ds.code]).get(ds.code)
    rows, shown = [], []
    if batch.state == BatchState.ACCEPTED and batch.path and store.batch_path(batch).is_file():
        rows = store.batch_rows(batch, limit=50)
        shown = [("id_masked", "身份证号")] + [
            (f"{c['name']}_masked" if c.get("sensitive") else c["name"], c["label"])
            for c in ds.columns
            if c["name"] != ds.id_column
        ]
    context = {
        "batch": batch,
        "source": ds,
        "is_current": current is not None and current.pk == batch.pk,
        "rows": [
            {"row_no": row["row_no"], "cells": [(name, label, row.get(name)) for name, label in shown]} for row in rows
        ],
        "columns": shown,
        "file_missing": batch.state == BatchState.ACCEPTED and not batch.path,
        "can_reveal": has_permission(request.user, "sources.view"),
    }
    return render(request, "workbench/sources/batch.html", context)


@login_required
@require_POST
def batch_reveal(request, pk, row_no):
    batch = get_object_or_404(SourceBatch.objects.select_related("source"), pk=pk)
    try:
        value = store.batch_reveal(request.user, batch, row_no)
    except RevealLimited as exc:
        return reveal_refused(exc)
    except ValidationError as exc:
        return HttpResponse("；".join(exc.messages), status=409)
    return render(request, "workbench/common/_revealed.html", {"value": value})

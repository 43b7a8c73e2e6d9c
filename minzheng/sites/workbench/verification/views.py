"""Workbench pages of the verification engine (家庭经济状况核对): the request list with the
"已申未出报告" count, a new request from a household with the members' 授权书, the request with its
report (findings per member and source, the summary against the standards, the PDF, 采用核对结果,
复议), and 批量核对 as a background job with its Excel list.

Thin views, as in :mod:`.views`: reads through the engine's scoped selectors (another region's
request is a 404), writes through one service. ``Refused`` comes back as 409 with the Chinese
reason and nothing changed, a missing grant as 403.
"""

from __future__ import annotations

import datetime as dt

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.views.decorators.http import require_POST

from minzheng.engines.verification import selectors, services
from minzheng.engines.verification.adoption import report_use
from minzheng.engines.verification.batch import BATCH_JOB, PROGRAMS, batch_scopes, batch_start
from minzheng.engines.verification.findings import CATEGORY_LABELS, finding_codes
from minzheng.engines.verification.models import (
    AppealState,
    DataSource,
    ReportAppeal,
    RequestState,
    SignerRole,
    VerificationReport,
)
from minzheng.engines.verification.report import source_coverage
from minzheng.foundation.accounts.scoping import ALL, has_permission, user_prefixes
from minzheng.foundation.audit.services import audit_record
from minzheng.foundation.files.models import StoredFile
from minzheng.foundation.files.services import file_response
from minzheng.foundation.jobs.models import JobRun, JobState
from minzheng.foundation.jobs.selectors import jobs_for_user
from minzheng.foundation.regions.models import Level, Region
from minzheng.foundation.regions.prefixes import prefix_q
from minzheng.foundation.regions.selectors import region_names
from minzheng.foundation.validation import Refused, is_digits

from ..common.households import household_pick
from ..common.permissions import require
from ..common.search import hides_id_numbers

PAGE_SIZE = 50
STATES = {"": "全部", **dict(RequestState.choices)}
ROLE_LABELS = dict(SignerRole.choices)


def _messages_of(exc: ValidationError) -> str:
    return "；".join(m for m in exc.messages if m)


def _download(stored: StoredFile, *, region_code: str, object_type: str, object_id, summary: str):
    audit_record(action="read", object_type=object_type, object_id=object_id, region_code=region_code, summary=summary)
    try:
        return file_response(stored)
    except FileNotFoundError:
        return HttpResponse("文件已丢失，请联系系统管理员", status=410, content_type="text/plain; charset=utf-8")


def _sources() -> list[DataSource]:
    codes = finding_codes()
    rows = [s for s in DataSource.objects.filter(enabled=True).order_by("sort", "code") if s.code in codes]
    return rows


# ---------------------------------------------------------------- 核对申请


@login_required
def request_list(request):
    """核对申请 in my regions: state, due date with an overdue badge, and the 已申未出报告 count."""
    user = request.user
    require(user, "verification.view")
    state = request.GET.get("state", "")
    state = state if state in STATES else ""
    q = request.GET.get("q", "").strip()[:40]
    overdue = request.GET.get("overdue") == "1"
    qs = selectors.request_list(user=user, state=state, q=q, overdue=overdue)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    today = timezone.localdate()
    names = region_names(r.region_code for r in page)
    rows = [
        {
            "r": r,
            "region_name": names.get(r.region_code, r.region_code),
            "overdue": r.state == RequestState.REQUESTED and r.due is not None and r.due < today,
        }
        for r in page
    ]
    params = urlencode({k: v for k, v in (("state", state), ("q", q), ("overdue", "1" if overdue else "")) if v})
    context = {
        "rows": rows,
        "page": page,
        "params": params,
        "states": STATES,
        "state": state,
        "q": q,
        "overdue": overdue,
        "counts": selectors.request_counts(user=user),
        "can_request": has_permission(user, "verification.request"),
        "can_batch": has_permission(user, "verification.batch"),
    }
    return render(request, "workbench/verification/list.html", context)


def _member_rows(household, post=None) -> list[dict]:
    today = timezone.localdate()
    rows = []
    for m in sorted(household.current_members, key=lambda m: (m.relation != "head", m.person_id)):
        p = m.person
        age = today.year - p.birth_date.year - ((today.month, today.day) < (p.birth_date.month, p.birth_date.day))
        default_role = SignerRole.HEIR if p.death_date else SignerRole.GUARDIAN if age < 18 else SignerRole.SELF
        key = str(p.pk)
        rows.append(
            {
                "person": p,
                "relation": m.get_relation_display(),
                "age": age,
                "key": key,
                "signer": (post.get(f"signer_{key}") if post else None) or ("" if default_role != "self" else p.name),
                "role": (post.get(f"role_{key}") if post else None) or default_role,
                "signed": (post.get(f"signed_{key}") if post else None) or today.isoformat(),
                "expires": (post.get(f"expires_{key}") if post else None) or "",
            }
        )
    return rows


def _date(value: str):
    try:
        return dt.date.fromisoformat((value or "").strip()) if value else None
    except ValueError:
        return "bad"


@login_required
@hides_id_numbers
def request_new(request):
    """核对申请 from a household (``?household=<id>``): the members with a 授权书 each (file, signer,
    role, date), the sources (all by default), the case number."""
    user = request.user
    if not has_permission(user, "verification.request"):
        raise PermissionDenied("您没有申请核对的权限")
    household, q, results = household_pick(request, user)
    if household is None and request.method == "POST":
        raise Http404("请先选择家庭")
    sources = _sources()
    post = request.POST if request.method == "POST" else None
    chosen = post.getlist("sources") if post else [s.code for s in sources]
    error, status = "", 200
    if household is not None and post is not None:
        authorizations, bad = [], []
        for row in _member_rows(household, post):
            key = row["key"]
            f = request.FILES.get(f"file_{key}")
            signed, expires = _date(post.get(f"signed_{key}")), _date(post.get(f"expires_{key}"))
            if signed == "bad" or expires == "bad":
                bad.append(f"{row['person'].name}的授权书日期格式不正确")
                continue
            if f is None:
                continue  # reported by the service: the member has no 授权书
            authorizations.append({
                "person": row["person"].pk, "signer_name": post.get(f"signer_{key}", ""),
                "signer_role": post.get(f"role_{key}", ""), "file": f, "file_name": f.name, "signed_at": signed,
                "expires_at": expires,
            })  # fmt: skip
        try:
            if bad:
                raise Refused("；".join(bad))
            req = services.verification_request(
                user=user, household=household, sources=chosen, case_number=post.get("case_number", ""),
                purpose=post.get("purpose", ""), authorizations=authorizations,
            )  # fmt: skip
        except Refused as exc:
            error, status = _messages_of(exc), 409
        except ValidationError as exc:
            error, status = _messages_of(exc), 422
        except PermissionDenied as exc:
            error, status = str(exc) or "您没有此项权限", 403
        else:
            messages.success(request, f"已提交核对申请 {req.number}，应于 {req.due:%Y-%m-%d} 前出具报告")
            return redirect("workbench:verification:detail", number=req.number)
    context = {
        "household": household,
        "q": q,
        "results": results,
        "members": _member_rows(household, post) if household is not None else [],
        "roles": [c for c in SignerRole.choices if c[0] != SignerRole.PROXY],  # a 代为签署 letter is no authority
        "sources": sources,
        "chosen": set(chosen),
        "case_number": (post or request.GET).get("case_number", ""),
        "purpose": (post or request.GET).get("purpose", ""),
        "error": error,
        "region_name": region_names([household.region_code]).get(household.region_code, "") if household else "",
    }
    return render(request, "workbench/verification/new.html", context, status=status)


def _report_view(report: VerificationReport) -> dict:
    """The report grouped per member: the rows found (with source and batch) and the sources with
    nothing found."""
    members: dict[int, dict] = {}
    for block in report.findings:
        m = members.setdefault(block["person_id"], {"name": block["name"], "id_masked": block["id_masked"],
                                                    "relation": block["relation"], "rows": [], "none": []})  # fmt: skip
        version = f"第{block['batch_version']}版" if block["batch_id"] else "暂无数据"
        if block["rows"]:
            for i, r in enumerate(block["rows"]):
                m["rows"].append({**r, "source": block["source"], "source_name": block["source_name"],
                                  "version": version, "batch_as_of": block["batch_as_of"],
                                  "category_name": CATEGORY_LABELS.get(r["category"], r["category"]),
                                  "key": f"{block['person_id']}|{block['source']}|{r['item']}|{i}"})  # fmt: skip
        else:
            said = {"no_batch": "暂无数据", "no_record": f"{version}，无该人员记录",
                    "records": f"{version}，有记录，未发现收入、财产或支出"}[source_coverage(block)]  # fmt: skip
            m["none"].append(f"{block['source_name']}（{said}）")
    by_source: dict[str, list[dict]] = {}
    for block in report.findings:
        by_source.setdefault(block["source"], []).append(block)
    no_data = [
        bs[0]["source_name"] + ("（暂无数据）" if not bs[0]["batch_id"] else "（无该户人员记录）")
        for bs in by_source.values()
        if all(source_coverage(b) != "records" for b in bs)
    ]
    return {"report": report, "members": list(members.values()), "summary": report.summary, "no_data": no_data}


def _detail(request, req, *, error: str = "", status: int = 200):
    user = request.user
    reports = list(req.reports.select_related("issued_by", "document").order_by("-version"))
    latest = reports[0] if reports else None
    appeals = list(
        ReportAppeal.objects.filter(report__request=req).select_related("report", "corrected_report", "decided_by")
        .order_by("-filed_at")
    )  # fmt: skip
    open_appeal = next((a for a in appeals if a.state == AppealState.OPEN), None)
    region = req.region_code
    can_issue = has_permission(user, "verification.issue", region) and services.county_office(
        user, "verification.issue", region
    )
    context = {
        "req": req,
        "region_name": region_names([region]).get(region, region),
        "authorizations": list(req.authorizations.select_related("person", "file").order_by("person_id")),
        "roles": ROLE_LABELS,
        "sources": dict(DataSource.objects.filter(code__in=req.sources).values_list("code", "name")),
        "latest": _report_view(latest) if latest else None,
        "older": reports[1:],
        "appeals": appeals,
        "open_appeal": open_appeal,
        "can_issue": can_issue and req.state == RequestState.REQUESTED,
        "can_decide": can_issue and open_appeal is not None,
        "can_appeal": latest is not None
        and open_appeal is None
        and (has_permission(user, "verification.request", region) or can_issue),
        "can_adopt": latest is not None
        and report_use() is not None
        and has_permission(user, "benefits.change", region),
        "overdue": req.state == RequestState.REQUESTED and req.due and req.due < timezone.localdate(),
        "error": error,
    }
    return render(request, "workbench/verification/detail.html", context, status=status)


@login_required
def request_detail(request, number):
    return _detail(request, selectors.request_get(user=request.user, number=number))


def _act(request, req, fn, success: str):
    try:
        result = fn()
    except Refused as exc:
        return _detail(request, req, error=_messages_of(exc), status=409)
    except ValidationError as exc:
        return _detail(request, req, error=_messages_of(exc), status=422)
    except PermissionDenied as exc:
        return _detail(request, req, error=str(exc) or "您没有此项权限", status=403)
    messages.success(request, success.format(result=result))
    return redirect("workbench:verification:detail", number=req.number)


@login_required
@require_POST
def request_issue(request, number):
    """出具核对报告 (county 核对机构)."""
    req = selectors.request_get(user=request.user, number=number)
    return _act(request, req, lambda: services.report_issue(user=request.user, request=req),
                "已出具核对报告 {result.number}")  # fmt: skip


@login_required
def authorization_file(request, number, pk):
    """A member's 授权书, only through the request it belongs to (audited)."""
    req = selectors.request_get(user=request.user, number=number)
    a = req.authorizations.select_related("file", "person").filter(pk=pk).first()
    if a is None:
        raise Http404("找不到该授权书")
    return _download(a.file, region_code=req.region_code, object_type="verification.authorization", object_id=a.pk,
                     summary=f"{req.number} 下载{a.person.name}的授权书")  # fmt: skip


def _report(request, number) -> VerificationReport:
    return selectors.report_get(user=request.user, number=number)


@login_required
def report_pdf(request, number):
    """The 核对报告 PDF (audited)."""
    report = _report(request, number)
    if report.document is None:
        raise Http404("该报告没有文件")
    return _download(report.document, region_code=report.region_code, object_type="verification.verificationreport",
                     object_id=report.pk, summary=f"下载核对报告 {report.number}")  # fmt: skip


@login_required
def report_adopt_view(request, number):
    """采用核对结果, item by item: the household's investigated figures and the report's side by side
    (each with the sources behind it, or 核对来源无该户数据), the items to adopt ticked (by default
    only those the report found data for), then a confirmation listing each change; only the
    confirmed items are written."""
    report = _report(request, number)
    req = report.request
    use = report_use()  # the line that adopts reports into a household's means (assistance)
    if use is None:
        raise Http404("没有登记采用核对结果的业务")
    if not has_permission(request.user, "benefits.change", report.region_code):
        raise PermissionDenied("无权采用核对结果")
    view = use.adoption(report)
    rows = view["rows"]
    chosen = {r["field"] for r in rows if r["default"]}
    error, status, confirm = "", 200, False
    if request.method == "POST":
        chosen = set(request.POST.getlist("items"))
        picked = [r for r in rows if r["field"] in chosen]
        if request.POST.get("confirm") == "1":
            try:
                use.adopt(user=request.user, report=report, items=[r["field"] for r in picked])
            except Refused as exc:
                error, status = _messages_of(exc), 409
            except PermissionDenied as exc:
                error, status = str(exc) or "您没有此项权限", 403
            else:
                messages.success(
                    request,
                    f"已采用核对报告 {report.number} 的{'、'.join(r['label'] for r in picked)}，其余项目保持调查所得",
                )
                return redirect("workbench:verification:detail", number=req.number)
        elif not picked:
            error, status = "请至少勾选一项要采用的核对结果", 422
        elif any(not r["adoptable"] for r in picked):
            bad = "、".join(r["label"] for r in picked if not r["adoptable"])
            error, status = f"{bad}：核对来源无该户数据，不能采用", 422
        else:
            confirm = True
    context = {
        "report": report,
        "req": req,
        "rows": rows,
        "chosen": chosen,
        "confirm": confirm,
        "picked": [r for r in rows if r["field"] in chosen],
        "current": view["current"],
        "error": error,
    }
    return render(request, "workbench/verification/adopt.html", context, status=status)


@login_required
@require_POST
def appeal_new(request, number):
    """登记复议 against the latest report."""
    report = _report(request, number)
    return _act(
        request, report.request,
        lambda: services.appeal_file(user=request.user, report=report, grounds=request.POST.get("grounds", ""),
                                     filed_by_name=request.POST.get("filed_by_name", "")),
        "已登记复议申请",
    )  # fmt: skip


@login_required
@require_POST
def appeal_decide(request, pk):
    """复议决定: 维持, or 更正 with the findings ticked for exclusion (each with the reason)."""
    appeal = ReportAppeal.objects.select_related("report", "report__request").filter(pk=pk).first()
    if appeal is None:
        raise Http404("找不到该复议")
    req = selectors.request_get(user=request.user, number=appeal.report.request.number)
    upheld = request.POST.get("outcome") != "corrected"
    reason = request.POST.get("reason", "").strip()
    corrections = []
    for key in request.POST.getlist("exclude"):
        parts = key.split("|")
        if len(parts) != 4 or not is_digits(parts[0]) or not is_digits(parts[3]):
            continue
        pid, source, item, i = int(parts[0]), parts[1], parts[2], int(parts[3])
        block = next((b for b in appeal.report.findings if b["person_id"] == pid and b["source"] == source), None)
        if block is None or i >= len(block["rows"]):
            continue
        corrections.append({"person_id": pid, "source": source, "item": item, "detail": block["rows"][i]["detail"],
                            "action": "exclude", "reason": reason})  # fmt: skip
    return _act(
        request, req,
        lambda: services.appeal_decide(user=request.user, appeal=appeal, upheld=upheld,
                                       decision=request.POST.get("decision", ""), corrections=corrections),
        "复议已决定：" + ("维持原报告" if upheld else "已出具更正后的报告"),
    )  # fmt: skip


# ---------------------------------------------------------------- 批量核对


def _batch_regions(user) -> list[tuple[str, str]]:
    """The user's granted regions for batch runs and the townships under them."""
    prefixes = user_prefixes(user, "verification.batch")
    qs = Region.objects.filter(level__in=[Level.COUNTY, Level.TOWNSHIP])
    if prefixes is not ALL:
        if not prefixes:
            return []
        qs = qs.filter(prefix_q("code", prefixes))
    return [(r.prefix, r.name) for r in qs.order_by("code")[:300]]


class BatchForm(forms.Form):
    program = forms.ChoiceField(label="核对范围", choices=batch_scopes)
    region = forms.ChoiceField(label="区划", required=False)

    def __init__(self, *args, regions=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].choices = [("", "我的全部管辖范围"), *regions]


def _batch_jobs(user):
    return jobs_for_user(user).filter(kind=BATCH_JOB)


@login_required
def batch(request):
    """批量核对: program and region → a background job."""
    user = request.user
    require(user, "verification.batch")
    regions = _batch_regions(user)
    form = BatchForm(request.POST or None, regions=regions)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                job = batch_start(user=user, program=form.cleaned_data["program"], region=form.cleaned_data["region"])
            except ValidationError as exc:
                form.add_error(None, _messages_of(exc))
                status = 422
            except PermissionDenied as exc:
                form.add_error(None, str(exc))
                status = 403
            else:
                return redirect("workbench:verification:batch_detail", pk=job.pk)
        else:
            status = 422
    jobs = _batch_jobs(user).select_related("created_by")[:20]
    return render(request, "workbench/verification/batch.html", {"form": form, "jobs": jobs}, status=status)


def _batch_job(request, pk) -> JobRun:
    require(request.user, "verification.batch")
    job = _batch_jobs(request.user).filter(pk=pk).first()
    if job is None:
        raise Http404("找不到该批量核对任务")
    return job


@login_required
def batch_detail(request, pk):
    """The run's progress (polled by htmx), then the counts by reason and the Excel download."""
    job = _batch_job(request, pk)
    context = {
        "job": job,
        "program": PROGRAMS.get(job.params.get("program"), ""),
        "result": job.result or {},
        "source_names": dict(DataSource.objects.values_list("code", "name")),
    }
    if request.headers.get("HX-Request"):
        response = render(request, "workbench/verification/_batch_status.html", context)
        if job.state not in (JobState.QUEUED, JobState.RUNNING):
            response["HX-Refresh"] = "true"
        return response
    return render(request, "workbench/verification/batch_detail.html", context)


@login_required
def batch_file(request, pk):
    """The over-limit list (Excel) of a finished run (audited)."""
    job = _batch_job(request, pk)
    file_id = (job.result or {}).get("report")
    stored = StoredFile.objects.filter(pk=file_id).first() if file_id else None
    if stored is None:
        raise Http404("该任务没有生成名单")
    return _download(stored, region_code=job.region_code, object_type="jobs.jobrun", object_id=job.pk,
                     summary=f"下载批量核对名单（{job.title}）")  # fmt: skip


def batch_url(job) -> str:
    return reverse("workbench:verification:batch_detail", args=[job.pk])

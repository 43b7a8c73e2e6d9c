"""``/api/v1/institution``: the institution account's own entity (机构端, ADR 0020), with a token
the account generated on the portal (``mzi_…``): its hazards and rectifications, its annual reports
(save and submit). Every query goes through the account's entity (``institutions.scoped``): another
entity's object is 404. A staff or partner token is refused here (401), and an institution token
everywhere else. A line adds its own institution endpoints (prepaid balances …) in its module of
this package with :class:`InstitutionToken` and :func:`institution_of`. Names no business line."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.http import Http404
from ninja import Query, Router, Schema, Status
from ninja.security import HttpBearer

from minzheng.engines.supervision import institutions, reports, services
from minzheng.engines.supervision.models import AnnualReport, Channel, Hazard, ReportTemplate
from minzheng.foundation.audit.context import _current
from minzheng.foundation.audit.middleware import client_ip

from .routers import api_router
from .schemas import MAX_OFFSET, ErrorOut


class InstitutionToken(HttpBearer):
    """An institution account's token: the request acts as that account (no staff user)."""

    def authenticate(self, request, token):
        account = institutions.token_account(token)
        if account is None:
            return None
        request.institution = account
        _current.set(institutions.institution_actor(account, client_ip(request), channel="api"))
        return account


def institution_of(request):
    """The institution account of the calling token (set by :class:`InstitutionToken`)."""
    return request.institution


router = Router(tags=["机构端"], auth=InstitutionToken())


class InstHazardOut(Schema):
    id: int
    level: str
    description: str
    legal_basis: str
    found_on: dt.date
    deadline: dt.date
    state: str
    overdue_since: dt.date | None
    closed_on: dt.date | None


class InstHazardPage(Schema):
    count: int
    items: list[InstHazardOut]


class InstRectificationIn(Schema):
    text: str = ""


class InstRectificationOut(Schema):
    hazard_id: int
    state: str


class InstReportIn(Schema):
    template: str
    year: int
    values: dict[str, Any] = {}
    submit: bool = False


class InstReportOut(Schema):
    id: int
    template: str
    year: int
    state: str
    due_on: dt.date
    late: bool
    values: dict[str, Any]
    submitted_at: dt.datetime | None
    return_reason: str


class InstReportPage(Schema):
    count: int
    items: list[InstReportOut]


def _hazard_out(h: Hazard) -> dict:
    return {"id": h.pk, "level": h.level, "description": h.description, "legal_basis": h.legal_basis,
            "found_on": h.found_on, "deadline": h.deadline, "state": h.state, "overdue_since": h.overdue_since,
            "closed_on": h.closed_on}  # fmt: skip


def _report_out(r: AnnualReport) -> dict:
    return {"id": r.pk, "template": r.template.code, "year": r.year, "state": r.state, "due_on": r.due_on,
            "late": r.late, "values": r.values, "submitted_at": r.submitted_at, "return_reason": r.return_reason}  # fmt: skip


def _hazards(request):
    return institutions.scoped(Hazard.objects.all(), institution_of(request)).order_by("-found_on", "-pk")


@router.get("/institution/hazards", response={200: InstHazardPage}, summary="本机构的隐患")
def hazards_list(
    request,
    state: str = Query("", description="open / submitted / returned / closed"),
    offset: int = Query(0, ge=0, le=MAX_OFFSET),
    limit: int = Query(50, ge=1, le=500),
):
    qs = _hazards(request)
    if state:
        qs = qs.filter(state=state)
    return Status(200, {"count": qs.count(), "items": [_hazard_out(h) for h in qs[offset : offset + limit]]})


@router.get(
    "/institution/hazards/{hazard_id}", response={200: InstHazardOut, 404: ErrorOut}, summary="本机构的隐患详情"
)
def hazard_detail(request, hazard_id: int):
    h = _hazards(request).filter(pk=hazard_id).first()
    if h is None:
        raise Http404("隐患不存在")
    return Status(200, _hazard_out(h))


@router.post(
    "/institution/hazards/{hazard_id}/rectifications",
    response={201: InstRectificationOut, 404: ErrorOut, 422: ErrorOut},
    summary="提交本机构的隐患整改情况",
)
def hazard_rectify(request, hazard_id: int, payload: InstRectificationIn):
    """The institution submits its rectification (text; photos through the portal page); the hazard
    moves to 整改已提交 and waits for the re-inspection."""
    account = institution_of(request)
    h = _hazards(request).filter(pk=hazard_id).first()
    if h is None:
        raise Http404("隐患不存在")
    services.rectification_submit(user=None, hazard=h, text=payload.text, channel=Channel.INSTITUTION,
                                  submitted_by_name=account.name)  # fmt: skip
    h.refresh_from_db()
    return Status(201, {"hazard_id": h.pk, "state": h.state})


@router.get("/institution/reports", response={200: InstReportPage}, summary="本机构的年度报告")
def reports_list(request, year: int | None = None):
    account = institution_of(request)
    qs = institutions.scoped(AnnualReport.objects.select_related("template"), account).order_by("-year", "pk")
    if year is not None:
        qs = qs.filter(year=year)
    return Status(200, {"count": qs.count(), "items": [_report_out(r) for r in qs[:100]]})


@router.post("/institution/reports", response={200: InstReportOut, 404: ErrorOut, 422: ErrorOut},
             summary="填报（并可报送）本机构的年度报告")  # fmt: skip
def report_save(request, payload: InstReportIn):
    """Save the given values into the draft of ``year`` (created when missing); with ``submit`` the
    report is then submitted (every required field must be there). A submitted or accepted report
    is refused (422)."""
    account = institution_of(request)
    s = account.supervised
    template = ReportTemplate.objects.filter(code=payload.template, kind=s.kind).first()
    if template is None:
        raise Http404("本机构没有该年度报告模板")
    values = {k: ("" if v is None else str(v) if not isinstance(v, (bool, int)) else v)
              for k, v in payload.values.items()}  # fmt: skip
    with transaction.atomic():
        report = reports.report_save(user=None, template=template, supervised=s, year=payload.year, values=values,
                                     channel=Channel.INSTITUTION, filed_by_name=account.name)  # fmt: skip
        if payload.submit:
            report = reports.report_submit(user=None, report=report, channel=Channel.INSTITUTION,
                                           filed_by_name=account.name)  # fmt: skip
    return Status(200, _report_out(report))


api_router("institution", router, prefix="/", order=95)

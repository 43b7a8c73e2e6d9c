"""``/api/v1/hardship-reports``: 一键报贫 from the 12345 hotline (a partner token with scope
``hardship:report``) or from staff (a staff token whose user holds ``monitoring.handle`` in the
region), and reading a report's reference, deadline and reply. A hotline token reads only reports
that came through the hotline and can call nothing else."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from django.core.exceptions import PermissionDenied
from django.http import Http404
from ninja import Router, Schema, Status

from minzheng.engines.monitoring import selectors
from minzheng.engines.monitoring.models import HardshipReport, ReportChannel
from minzheng.engines.monitoring.services import hardship_report
from minzheng.foundation.accounts.scoping import has_permission

from .auth import BearerToken, ScopedToken, require_scope, token_scopes
from .routers import api_router
from .schemas import ErrorOut

router = Router(tags=["监测预警"])
HOTLINE_SCOPE = "hardship:report"
AUTH = [ScopedToken(HOTLINE_SCOPE), BearerToken()]


class HardshipIn(Schema):
    description: str
    region_code: str  # the village/community (or township) where the family lives
    address: str = ""
    subject_name: str = ""
    for_self: bool = False
    anonymous: bool = False
    reporter_name: str = ""
    reporter_phone: str = ""
    channel: Literal["workbench", "grid", "portal"] = "workbench"  # staff only; a hotline token is "hotline"


class HardshipOut(Schema):
    number: str
    channel: str
    region_code: str
    created_at: dt.datetime
    alert_number: str | None
    state: str | None  # the alert's state: open | handling | closed
    due: dt.date | None
    reply: str
    replied_at: dt.datetime | None


class HardshipCreatedOut(HardshipOut):
    # the reporter's 查询码, given this once (kept only hashed): the hotline tells it to the caller,
    # who reads the status and reply on the portal with the number and this code
    access_code: str


def _out(r: HardshipReport) -> dict:
    a = r.alert
    return {
        "number": r.number, "channel": r.channel, "region_code": r.region_code, "created_at": r.created_at,
        "alert_number": a.number if a else None, "state": a.state if a else None, "due": a.due if a else None,
        "reply": r.reply, "replied_at": r.replied_at,
    }  # fmt: skip


@router.post(
    "/hardship-reports",
    auth=AUTH,
    response={201: HardshipCreatedOut, 401: ErrorOut, 403: ErrorOut, 422: ErrorOut},
    summary="一键报贫：登记困难报告（12345热线或工作人员）",
)
def hardship_create(request, payload: HardshipIn):
    """The report becomes an alert for the township with a deadline; the answer carries the
    reference number and, this once, the reporter's 查询码 (``access_code``). Hotline: a token with scope ``hardship:report``, channel ``hotline``. Staff: a
    token whose user holds ``monitoring.handle`` in the region."""
    data = payload.dict(exclude={"channel"})
    if token_scopes(request):
        require_scope(request, HOTLINE_SCOPE)
        report = hardship_report(channel=ReportChannel.HOTLINE, user=None, **data)
    else:
        if not has_permission(request.user, "monitoring.handle"):
            raise PermissionDenied("无权登记困难报告")
        report = hardship_report(channel=payload.channel, user=request.user, **data)
    return Status(201, {**_out(report), "access_code": report.access_code})


@router.get(
    "/hardship-reports/{number}",
    auth=AUTH,
    response={200: HardshipOut, 401: ErrorOut, 404: ErrorOut},
    summary="困难报告的受理情况与答复",
)
def hardship_detail(request, number: str):
    if token_scopes(request):
        require_scope(request, HOTLINE_SCOPE)
        report = (
            HardshipReport.objects.select_related("alert").filter(number=number, channel=ReportChannel.HOTLINE).first()
        )
        if report is None:
            raise Http404("找不到该困难报告")
        return _out(report)
    return _out(selectors.report_get(user=request.user, number=number))


api_router("monitoring", router, prefix="/", order=60)

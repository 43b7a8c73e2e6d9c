"""``/api/v1/verification``: a 核对报告 with what the assessment takes in. Staff tokens only (a
partner token with scopes is refused); a report of another region is 404."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from ninja import Router, Schema, Status

from minzheng.engines.verification import selectors
from minzheng.engines.verification.adoption import report_use
from minzheng.foundation.accounts.scoping import has_permission

from .auth import BearerToken
from .routers import api_router
from .schemas import ErrorOut

router = Router(tags=["家庭经济状况核对"], auth=BearerToken())


class AppealOut(Schema):
    state: str
    grounds: str
    filed_by_name: str
    filed_at: str
    decision: str
    corrected_report: str | None


class ReportOut(Schema):
    number: str
    version: int
    latest: bool
    request: str
    case_number: str
    household: str
    region_code: str
    issued_at: str | None
    issued_by: str | None
    batches: dict[str, int | None]
    findings: list[dict[str, Any]]
    summary: dict[str, Any]
    appeals: list[AppealOut]
    assessment_input: dict[str, Any]
    evidence: dict[str, Any]


@router.get(
    "/verification/reports/{number}",
    response={200: ReportOut, 403: ErrorOut, 404: ErrorOut},
    summary="核对报告（含测算输入）",
)
def report_detail(request, number: str):
    """The report as issued: per member and source what was found (masked ID numbers only), the
    batch of every source read, the summary against the standards, the appeals, and
    ``assessment_input`` in the shape of the registered line's assessment request (the assistance
    line's `POST /assistance/assessments`), and ``evidence``: per item
    of the household's means whether the report found data (``found``), data with the amount 0
    (``zero``) or no data at all (``no_data``: no batch, or no record of any member) — a 0 in
    ``assessment_input`` for a ``no_data`` item means nothing is known, not no income. Both are ``{}``
    when no business line registered what its reports feed."""
    if not has_permission(request.user, "verification.view"):
        raise PermissionDenied("您没有查看核对报告的权限")
    report = selectors.report_get(user=request.user, number=number)
    use = report_use()  # the line whose assessment the report feeds (assistance); none: both empty
    return Status(
        200,
        {
            **selectors.report_data(report),
            "assessment_input": use.assessment_input(report) if use else {},
            "evidence": use.evidence(report) if use else {},
        },
    )


api_router("verification", router, prefix="/", order=70)

"""Reads of the verification engine, always scoped to the user's regions (``verification.view``):
another region's request or report is a 404."""

from __future__ import annotations

from django.db.models import Count, Q
from django.http import Http404
from django.utils import timezone

from .models import RequestState, VerificationReport, VerificationRequest


def request_list(*, user, state: str = "", region: str = "", q: str = "", overdue: bool = False):
    """核对申请 in the user's regions, newest first; ``region`` a code prefix, ``q`` a number, case
    number or household number."""
    qs = VerificationRequest.objects.for_user(user, "verification.view").select_related("household", "requested_by")
    if state:
        qs = qs.filter(state=state)
    if region:
        qs = qs.under(region)
    if q:
        q = q.strip()
        qs = qs.filter(Q(number=q) | Q(case_number=q) | Q(household__number=q))
    if overdue:
        qs = qs.filter(state=RequestState.REQUESTED, due__lt=timezone.localdate())
    return qs.annotate(report_count=Count("reports")).order_by("-requested_at", "-pk")


def request_counts(*, user) -> dict:
    """已申未出报告 (requested, no report yet) and how many of them are overdue."""
    qs = VerificationRequest.objects.for_user(user, "verification.view").filter(state=RequestState.REQUESTED)
    return qs.aggregate(pending=Count("pk"), overdue=Count("pk", filter=Q(due__lt=timezone.localdate())))


def request_get(*, user, number: str) -> VerificationRequest:
    req = (
        VerificationRequest.objects.for_user(user, "verification.view")
        .select_related("household", "household__head", "requested_by")
        .filter(number=number)
        .first()
    )
    if req is None:
        raise Http404("找不到该核对申请，或不在您的管辖范围内")
    return req


def report_get(*, user, number: str) -> VerificationReport:
    report = (
        VerificationReport.objects.for_user(user, "verification.view")
        .select_related("request", "request__household", "issued_by", "document")
        .filter(number=number)
        .first()
    )
    if report is None:
        raise Http404("找不到该核对报告，或不在您的管辖范围内")
    return report


def report_data(report: VerificationReport) -> dict:
    """A report as data (the API, ``minzheng verify report``): masked IDs only, never an index."""
    req = report.request
    latest = req.reports.order_by("-version").values_list("number", flat=True).first()
    return {
        "number": report.number,
        "version": report.version,
        "latest": latest == report.number,
        "request": req.number,
        "case_number": req.case_number,
        "household": req.household.number,
        "region_code": report.region_code,
        "issued_at": report.issued_at.isoformat() if report.issued_at else None,
        "issued_by": report.issued_by.username if report.issued_by_id else None,
        "batches": report.batches,
        "findings": report.findings,
        "summary": report.summary,
        "appeals": [
            {
                "state": a.state,
                "grounds": a.grounds,
                "filed_by_name": a.filed_by_name,
                "filed_at": a.filed_at.isoformat(),
                "decision": a.decision,
                "corrected_report": a.corrected_report.number if a.corrected_report_id else None,
            }
            for a in report.appeals.select_related("corrected_report").order_by("filed_at")
        ],
    }

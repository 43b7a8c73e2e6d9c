"""``/api/v1/assistance/assessments``: the 社会救助 line's assessment (测算), the same JSON in and out
as ``minzheng assess``."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from ninja import Router, Status

from minzheng.business.assistance.assessment import assessment_run
from minzheng.business.assistance.schemas import AssessmentIn, AssessmentOut
from minzheng.foundation.accounts.scoping import has_permission

from .auth import BearerToken
from .routers import api_router
from .schemas import ErrorOut

router = Router(tags=["社会救助"], auth=BearerToken())


@router.post(
    "/assessments",
    response={200: AssessmentOut, 422: ErrorOut, 403: ErrorOut},
    exclude_none=True,
    summary="低保/特困/边缘/刚性支出测算（逐步说明）",
)
def assessment_create(request, payload: AssessmentIn):
    """Same JSON in and out as `minzheng assess --json FILE`. Nothing is stored."""
    if not has_permission(request.user, "benefits.assess", payload.region_code):
        raise PermissionDenied("无权在该区划测算")
    return Status(200, assessment_run(payload))


api_router("assistance", router, prefix="/assistance", order=30, operation_ids="minzheng.sites.api.api")

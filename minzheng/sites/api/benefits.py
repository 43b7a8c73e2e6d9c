"""``/api/v1/assistance/standards`` and ``/api/v1/assistance/enrollments``: the benefits engine's
standards in force and the roll (保障对象台账), scoped to the caller's regions. Their paths keep the
``/assistance`` prefix (and the 社会救助 tag) they were published under."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from ninja import Query, Router

from minzheng.engines.benefits import selectors as benefits
from minzheng.foundation.accounts.scoping import has_permission
from minzheng.foundation.parameters import selectors as parameter_selectors
from minzheng.foundation.parameters.standards import display
from minzheng.foundation.regions.selectors import region_get

from .auth import BearerToken
from .routers import api_router
from .schemas import MAX_OFFSET, EnrollmentOut, EnrollmentPage, ErrorOut, StandardOut

router = Router(tags=["社会救助"], auth=BearerToken())


@router.get(
    "/standards", response={200: list[StandardOut], 403: ErrorOut}, summary="某区划、户籍类型、日期适用的保障标准"
)
def standards_list(request, region_code: str, hukou_type: str = "urban", as_of: dt.date | None = None):
    if hukou_type not in ("urban", "rural"):
        raise ValidationError({"hukou_type": "户籍类型须为 urban 或 rural"})
    region = region_get(region_code)
    if region is None:
        raise ValidationError({"region_code": f"区划代码 {region_code} 不存在"})
    if not has_permission(request.user, "benefits.view", region.code):
        raise PermissionDenied("无权查看该区划的保障标准")
    rows = parameter_selectors.standards_in_force(
        region_code=region.code, hukou_type=hukou_type, as_of=as_of or timezone.localdate()
    )
    return [
        {"key": t.key, "label": t.label, "mode": mode, "value": None if value is None else display(value), "unit": t.unit,
         "region_code": row.region_code if row else None, "effective_from": row.effective_from if row else None,
         "effective_to": row.effective_to if row else None, "source_document": row.source_document if row else ""}
        for t, mode, value, row in rows
    ]  # fmt: skip


def _enrollment_out(e, *, events: bool = False) -> dict:
    out = {
        "id": e.pk, "number": e.number, "program": e.program_id, "program_name": e.program.short_name,
        "household_id": e.household_id, "household_number": e.household.number,
        "head_name": e.person.name if e.person_id else (e.household.head.name if e.household.head_id else None),
        "person_id": e.person_id, "region_code": e.region_code, "hukou_type": e.hukou_type,
        "classification": e.classification, "state": e.state, "monthly_amount": str(e.monthly_amount),
        "persons_covered": e.persons_covered, "start_month": e.start_month, "end_month": e.end_month,
        "phase_out_until": e.phase_out_until, "review_class": e.review_class, "next_review": e.next_review,
        "predecessor_id": e.predecessor_id,
    }  # fmt: skip
    if events:
        out["events"] = [
            {"kind": ev.kind, "state": ev.state, "monthly_amount": str(ev.monthly_amount),
             "persons_covered": ev.persons_covered, "effective_month": ev.effective_month, "reason": ev.reason,
             "note": ev.note, "created_at": ev.created_at}
            for ev in e.events.order_by("effective_month", "id")
        ]  # fmt: skip
    return out


@router.get("/enrollments", response=EnrollmentPage, exclude_none=True, summary="保障对象（台账）")
def enrollments_list(
    request, program: str = "", state: str = "", region: str = "", q: str = "",
    offset: int = Query(0, ge=0, le=MAX_OFFSET), limit: int = Query(50, ge=1, le=500),
):  # fmt: skip
    qs = benefits.enrollment_search(user=request.user, program=program, state=state, region=region, q=q)
    qs = qs.select_related("household__head")
    return {"count": qs.count(), "items": [_enrollment_out(e) for e in qs[offset : offset + limit]]}


@router.get("/enrollments/{enrollment_id}", response=EnrollmentOut, summary="保障对象详情（含变动记录）")
def enrollment_detail(request, enrollment_id: int):
    return _enrollment_out(benefits.enrollment_get(user=request.user, pk=enrollment_id), events=True)


api_router("benefits", router, prefix="/assistance", order=35, operation_ids="minzheng.sites.api.api")

"""``/api/v1/supervision``: regulated entities, inspections and the hazard ledger (监督检查), scoped
to the caller's regions (another township's object is 404); a rectification entered by staff.
Names no business line: kinds come from the engine's registry. Phones masked."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import PermissionDenied
from ninja import Query, Router, Schema, Status

from minzheng.engines.supervision import selectors, services
from minzheng.engines.supervision.kinds import KINDS
from minzheng.engines.supervision.models import Hazard, Supervised
from minzheng.foundation.accounts.scoping import has_permission

from .auth import BearerToken
from .routers import api_router
from .schemas import MAX_OFFSET, ErrorOut

router = Router(tags=["监督检查"], auth=BearerToken())
VIEW = "supervision.view"


class EntityItem(Schema):
    id: int
    uscc: str
    name: str
    kind: str
    kind_label: str
    region_code: str
    status: str


class EntityPage(Schema):
    count: int
    items: list[EntityItem]


class EntityOut(EntityItem):
    address: str
    representative_name: str
    representative_phone: str
    status_since: dt.date
    attributes: dict[str, Any]
    permits: list[dict[str, Any]]


class HazardOut(Schema):
    id: int
    entity_id: int
    entity_name: str
    uscc: str
    region_code: str
    level: str
    description: str
    legal_basis: str
    found_on: dt.date
    deadline: dt.date
    state: str
    overdue_since: dt.date | None
    escalation: int
    closed_on: dt.date | None
    inspection_id: int


class HazardPage(Schema):
    count: int
    items: list[HazardOut]


class ResultOut(Schema):
    item: str
    text: str
    outcome: str
    note: str


class InspectionOut(Schema):
    id: int
    entity_id: int
    purpose: str
    inspected_on: dt.date
    state: str
    template: str
    template_version: int
    lead_inspector: str
    score: str | None
    score_max: str | None
    conclusion: str
    results: list[ResultOut]
    hazards: list[int]


class RectificationIn(Schema):
    text: str = ""  # required by the service (422 in Chinese), after the hazard is found in scope
    submitted_by_name: str = ""


class RectificationOut(Schema):
    hazard_id: int
    state: str


def _need_view(request) -> None:
    if not has_permission(request.user, VIEW):
        raise PermissionDenied("您没有查看监督检查的权限")


def _entity_item(s: Supervised) -> dict:
    kind = KINDS.get(s.kind)
    return {"id": s.pk, "uscc": s.entity.uscc, "name": s.entity.name, "kind": s.kind,
            "kind_label": kind.label if kind else s.kind, "region_code": s.entity.region_code, "status": s.status}  # fmt: skip


def _json_value(value):
    if isinstance(value, dt.date):
        return value.isoformat()
    if value is not None and not isinstance(value, (bool, int, str)):
        return str(value)  # Decimal: as text, never a float
    return value


def _hazard_out(h: Hazard) -> dict:
    return {
        "id": h.pk, "entity_id": h.supervised_id, "entity_name": h.supervised.entity.name,
        "uscc": h.supervised.entity.uscc, "region_code": h.region_code, "level": h.level,
        "description": h.description, "legal_basis": h.legal_basis, "found_on": h.found_on, "deadline": h.deadline,
        "state": h.state, "overdue_since": h.overdue_since, "escalation": h.escalation, "closed_on": h.closed_on,
        "inspection_id": h.inspection_id,
    }  # fmt: skip


@router.get("/supervision/entities", response={200: EntityPage, 403: ErrorOut, 422: ErrorOut}, summary="监管对象列表")
def entities_list(
    request,
    kind: str = "",
    status: str = "",
    region: str = "",
    q: str = "",
    offset: int = Query(0, ge=0, le=MAX_OFFSET),
    limit: int = Query(50, ge=1, le=500),
):
    _need_view(request)
    qs = selectors.supervised_for(request.user, kind=kind, status=status, region=region, q=q[:50])
    return Status(200, {"count": qs.count(), "items": [_entity_item(s) for s in qs[offset : offset + limit]]})


@router.get(
    "/supervision/entities/{entity_id}", response={200: EntityOut, 403: ErrorOut, 404: ErrorOut}, summary="监管对象详情"
)
def entity_detail(request, entity_id: int):
    _need_view(request)
    s = selectors.supervised_get(request.user, entity_id)
    e = s.entity
    attributes = {a.code: _json_value(v) for a, v, _row in selectors.attributes_current(s)}
    permits = [
        {"permit_type": p.permit_type, "category": p.category, "number": p.number, "issued_by": p.issued_by,
         "issued_on": p.issued_on.isoformat(), "valid_until": _json_value(p.valid_until),
         "ended_on": _json_value(p.ended_on)}
        for p in s.permits.order_by("issued_on", "pk")
    ]  # fmt: skip
    return Status(200, {**_entity_item(s), "address": e.address, "representative_name": e.representative_name,
                        "representative_phone": e.representative_phone_masked, "status_since": s.status_since,
                        "attributes": attributes, "permits": permits})  # fmt: skip


@router.get(
    "/supervision/inspections/{inspection_id}",
    response={200: InspectionOut, 403: ErrorOut, 404: ErrorOut},
    summary="检查记录",
)
def inspection_detail(request, inspection_id: int):
    _need_view(request)
    i = selectors.inspection_get(request.user, inspection_id)
    results = [
        {"item": r.item.code, "text": r.item.text, "outcome": r.outcome, "note": r.note}
        for r in i.results.select_related("item__section").order_by("item__section__order", "item__order")
    ]
    return Status(200, {
        "id": i.pk, "entity_id": i.supervised_id, "purpose": i.purpose, "inspected_on": i.inspected_on,
        "state": i.state, "template": i.template.code, "template_version": i.template.version,
        "lead_inspector": i.lead_inspector.username, "score": _json_value(i.score),
        "score_max": _json_value(i.score_max), "conclusion": i.conclusion, "results": results,
        "hazards": list(i.hazards.order_by("pk").values_list("pk", flat=True)),
    })  # fmt: skip


@router.get("/supervision/hazards", response={200: HazardPage, 403: ErrorOut, 422: ErrorOut}, summary="隐患台账")
def hazards_list(
    request,
    region: str = "",
    kind: str = "",
    state: str = Query("", description="open / submitted / returned / closed，或 unclosed（未销号）"),
    level: str = Query("", description="general / major"),
    overdue: bool | None = None,
    offset: int = Query(0, ge=0, le=MAX_OFFSET),
    limit: int = Query(50, ge=1, le=500),
):
    _need_view(request)
    qs = selectors.hazard_ledger(request.user, region=region, kind=kind, state=state, level=level, overdue=overdue)
    return Status(200, {"count": qs.count(), "items": [_hazard_out(h) for h in qs[offset : offset + limit]]})


@router.get(
    "/supervision/hazards/{hazard_id}", response={200: HazardOut, 403: ErrorOut, 404: ErrorOut}, summary="隐患详情"
)
def hazard_detail(request, hazard_id: int):
    _need_view(request)
    return Status(200, _hazard_out(selectors.hazard_get(request.user, hazard_id)))


@router.post(
    "/supervision/hazards/{hazard_id}/rectifications",
    response={201: RectificationOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut},
    summary="代录隐患整改情况",
)
def hazard_rectify(request, hazard_id: int, payload: RectificationIn):
    """Staff enter the entity's rectification (``supervision.rectify`` over the hazard's region); the
    hazard moves to 整改已提交 and waits for the re-inspection. Refused (422, in Chinese) when the
    hazard is closed or already waiting."""
    _need_view(request)
    hazard = selectors.hazard_get(request.user, hazard_id)
    services.rectification_submit(
        user=request.user, hazard=hazard, text=payload.text, submitted_by_name=payload.submitted_by_name
    )
    hazard.refresh_from_db()
    return Status(201, {"hazard_id": hazard.pk, "state": hazard.state})


api_router("supervision", router, prefix="/", order=80)

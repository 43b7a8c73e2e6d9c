"""``/api/v1/persons`` and ``/api/v1/households``: the population registry, scoped to the caller's
regions (人员与家庭); ID numbers, phones and bank accounts masked, a full number only through
``…/reveal`` (audited, limited)."""

from __future__ import annotations

from ninja import Query, Router, Status

from minzheng.foundation.registry import selectors, services
from minzheng.foundation.registry.models import Person

from .auth import BearerToken
from .routers import api_router
from .schemas import (
    MAX_OFFSET,
    ErrorOut,
    HouseholdIn,
    HouseholdOut,
    HouseholdPage,
    HouseholdPatch,
    PersonIn,
    PersonOut,
    PersonPage,
    PersonPatch,
    RevealIn,
    RevealOut,
    SearchIn,
)

router = Router(tags=["人员与家庭"], auth=BearerToken())


def _person_out(p: Person) -> dict:
    m = selectors.person_current_household(p)
    return {
        "id": p.pk, "name": p.name, "id_number": p.id_number_masked, "sex": p.sex, "birth_date": p.birth_date,
        "region_code": p.region_code, "ethnicity": p.ethnicity, "phone": p.phone_masked, "hukou_type": p.hukou_type,
        "hukou_region_code": p.hukou_region_code, "disability_kind": p.disability_kind,
        "disability_grade": p.disability_grade, "serious_illness": p.serious_illness,
        "labour_capacity": p.labour_capacity, "self_care": p.self_care, "death_date": p.death_date,
        "household_id": m.household_id if m else None, "household_number": m.household.number if m else None,
    }  # fmt: skip


@router.get("/persons", response=PersonPage, summary="人员列表（脱敏）")
def persons_list(
    request,
    q: str = "",
    region: str = "",
    offset: int = Query(0, ge=0, le=MAX_OFFSET),
    limit: int = Query(50, ge=1, le=500),
):
    qs = selectors.person_search(user=request.user, q=q, region=region)
    rows = qs.values("id", "name", "id_number_masked", "sex", "birth_date", "region_code")[offset : offset + limit]
    items = [{**r, "id_number": r.pop("id_number_masked")} for r in rows]
    return {"count": qs.count(), "items": items}


@router.post(
    "/persons/search",
    response={200: PersonPage, 422: ErrorOut},
    summary="人员查找（条件在请求体中：按身份证号查找时号码不进网址）",
)
def persons_search(request, payload: SearchIn):
    return persons_list(request, q=payload.q, region=payload.region, offset=payload.offset, limit=payload.limit)


@router.get("/persons/{person_id}", response=PersonOut, summary="人员详情（脱敏）")
def person_detail(request, person_id: int):
    return _person_out(selectors.person_get(user=request.user, pk=person_id))


@router.post("/persons", response={201: PersonOut, 422: ErrorOut, 403: ErrorOut}, summary="登记人员")
def person_create(request, payload: PersonIn):
    person = services.person_create(user=request.user, data=payload.dict())
    return Status(201, _person_out(person))


@router.patch("/persons/{person_id}", response={200: PersonOut, 422: ErrorOut, 403: ErrorOut}, summary="修改人员")
def person_update(request, person_id: int, payload: PersonPatch):
    person = selectors.person_get(user=request.user, pk=person_id)
    person = services.person_update(user=request.user, person=person, data=payload.dict(exclude_unset=True))
    return Status(200, _person_out(person))


@router.post(
    "/persons/{person_id}/reveal",
    response={200: RevealOut, 403: ErrorOut, 429: ErrorOut},
    summary="查看明文（记入审计；每人每段时间有上限）",
)
def person_reveal(request, person_id: int, payload: RevealIn):
    person = selectors.person_get(user=request.user, pk=person_id)
    value = services.sensitive_reveal(user=request.user, obj=person, field=payload.field)
    return Status(200, {"field": payload.field, "value": value})


def _household_out(h) -> dict:
    members = [
        {
            "person_id": m.person_id,
            "name": m.person.name,
            "id_number": m.person.id_number_masked,
            "relation": m.relation,
            "valid_from": m.valid_from,
        }
        for m in getattr(h, "current_members", [])
    ]
    return {
        "id": h.pk, "number": h.number, "head_name": h.head.name if h.head else None, "region_code": h.region_code,
        "hukou_type": h.hukou_type, "address": h.address, "bank_name": h.bank_name,
        "bank_account": h.bank_account_masked, "members": members,
    }  # fmt: skip


@router.get("/households", response=HouseholdPage, summary="家庭列表")
def households_list(
    request,
    q: str = "",
    region: str = "",
    offset: int = Query(0, ge=0, le=MAX_OFFSET),
    limit: int = Query(50, ge=1, le=500),
):
    qs = selectors.household_search(user=request.user, q=q, region=region)
    items = [
        {
            "id": h.pk,
            "number": h.number,
            "head_name": h.head.name if h.head else None,
            "region_code": h.region_code,
            "hukou_type": h.hukou_type,
        }
        for h in qs[offset : offset + limit]
    ]
    return {"count": qs.count(), "items": items}


@router.post(
    "/households/search",
    response={200: HouseholdPage, 422: ErrorOut},
    summary="家庭查找（条件在请求体中：按身份证号查找时号码不进网址）",
)
def households_search(request, payload: SearchIn):
    return households_list(request, q=payload.q, region=payload.region, offset=payload.offset, limit=payload.limit)


@router.get("/households/{household_id}", response=HouseholdOut, summary="家庭详情")
def household_detail(request, household_id: int):
    return _household_out(selectors.household_get(user=request.user, pk=household_id))


def household_from_payload(request, payload: HouseholdIn):
    """Create a household (and its new members) from the registry API's ``HouseholdIn``."""
    members = [
        {"relation": m.relation, "person_id": m.person_id, "fields": m.person.dict() if m.person else None}
        for m in (payload.head, *payload.members)
    ]
    data = payload.dict(include={"region_code", "hukou_type", "address", "bank_name", "bank_account"})
    return services.household_register(user=request.user, data=data, members=members)


@router.post(
    "/households",
    response={201: HouseholdOut, 404: ErrorOut, 422: ErrorOut, 403: ErrorOut},
    summary="建立家庭（可同时登记新成员）",
)
def household_create(request, payload: HouseholdIn):
    household = household_from_payload(request, payload)
    return Status(201, _household_out(selectors.household_get(user=request.user, pk=household.pk)))


@router.patch(
    "/households/{household_id}",
    response={200: HouseholdOut, 422: ErrorOut, 403: ErrorOut},
    summary="修改家庭",
)
def household_update(request, household_id: int, payload: HouseholdPatch):
    household = selectors.household_get(user=request.user, pk=household_id)
    services.household_update(user=request.user, household=household, data=payload.dict(exclude_unset=True))
    return Status(200, _household_out(selectors.household_get(user=request.user, pk=household_id)))


api_router("registry", router, prefix="/", order=20, operation_ids="minzheng.sites.api.api")

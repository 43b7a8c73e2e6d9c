"""REST API ``/api/v1/``: token auth, region-scoped registry endpoints. OpenAPI at ``/api/v1/docs``."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth import authenticate
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils import timezone
from ninja import NinjaAPI, Query, Router, Status
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from minzheng.business.assistance.assessment import assessment_run
from minzheng.business.assistance.schemas import AssessmentIn, AssessmentOut
from minzheng.engines.benefits import selectors as benefits
from minzheng.foundation.accounts.reveals import RevealLimited, reveal_limits
from minzheng.foundation.accounts.scoping import has_permission
from minzheng.foundation.accounts.services import TOKEN_HOURS, token_issue
from minzheng.foundation.parameters import selectors as parameter_selectors
from minzheng.foundation.parameters.standards import display
from minzheng.foundation.regions.selectors import region_get
from minzheng.foundation.registry import selectors, services
from minzheng.foundation.registry.models import Person
from minzheng.foundation.validation import Refused, errors_zh

from .auth import BearerToken
from .cases import router as cases_router
from .monitoring import router as monitoring_router
from .schemas import (
    MAX_OFFSET,
    EnrollmentOut,
    EnrollmentPage,
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
    StandardOut,
    TokenIn,
    TokenOut,
)
from .sources import router as sources_router
from .verification import router as verification_router

# The answers the shared handlers below give to any operation, whatever its own code returns: the
# OpenAPI document lists them on every operation they can reach, so a client (and the schemathesis
# run in the test suite) finds every status code the API answers described.
SHARED_ERRORS = {
    400: ("input", "请求体不是合法的 JSON，或参数含有空字符（NUL）"),
    401: ("security", "未登录、令牌无效或已过期"),
    403: ("security", "调用者无权办理此操作"),
    404: ("path", "找不到，或不在调用者被授权的区划内"),
    422: ("input", "请求格式或内容不正确（逐项说明见 errors）"),
}


class DocumentedAPI(NinjaAPI):
    """A NinjaAPI whose document names the shared error answers of every operation (see SHARED_ERRORS)."""

    def get_openapi_schema(self, *, path_prefix=None, path_params=None):
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        error = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorOut"}}}
        for operations in schema["paths"].values():
            for operation in operations.values():
                params = operation.get("parameters", [])
                reaches = {
                    "security": bool(operation.get("security")),
                    "path": any(p.get("in") == "path" for p in params),
                    "input": bool(params or operation.get("requestBody")),
                }
                responses = operation["responses"]
                for code, (when, text) in SHARED_ERRORS.items():
                    if reaches[when] and code not in responses:
                        responses[code] = {"description": text, "content": error}
        return schema


api = DocumentedAPI(
    title="minzheng 民政综合业务平台 API",
    version="1",
    description="所有接口按调用者被授权的区划过滤；其他区划的数据一律返回 404。证件号、电话、银行账号默认脱敏。",
    urls_namespace="api-v1",
    docs_url="/docs",
)


def _validation_message(exc: ValidationError) -> tuple[str, dict]:
    if hasattr(exc, "error_dict"):
        errors = {k: "；".join(m for e in v for m in e.messages) for k, v in exc.error_dict.items()}
        return "；".join(errors.values()), errors
    return "；".join(exc.messages), {}


@api.exception_handler(Refused)
def on_refused(request, exc):
    detail, errors = _validation_message(exc)
    return api.create_response(request, {"detail": detail, "errors": errors}, status=409)


@api.exception_handler(ValidationError)
def on_validation(request, exc):
    detail, errors = _validation_message(exc)
    return api.create_response(request, {"detail": detail, "errors": errors}, status=422)


@api.exception_handler(NinjaValidationError)
def on_schema_validation(request, exc):
    # locations start with where the value came from ("body", "query") and the parameter name
    errors = {}
    for e in exc.errors:
        loc = list(e.get("loc", []))
        drop = 2 if loc[:1] == ["body"] and len(loc) > 1 and loc[1] == "payload" else 1
        errors.update(errors_zh([{**e, "loc": loc[drop:]}]))
    detail = "；".join(f"{k}：{v}" for k, v in list(errors.items())[:5])
    return api.create_response(request, {"detail": f"请求格式不正确：{detail}", "errors": errors}, status=422)


@api.exception_handler(PermissionDenied)
def on_denied(request, exc):
    return api.create_response(request, {"detail": str(exc) or "无权办理此操作"}, status=403)


@api.exception_handler(RevealLimited)
def on_reveal_limited(request, exc):
    # MINZHENG_REVEAL_LIMIT full numbers in MINZHENG_REVEAL_WINDOW_MINUTES: the administrators are told
    response = api.create_response(request, {"detail": str(exc)}, status=429)
    response["Retry-After"] = str(reveal_limits()[1] * 60)
    return response


@api.exception_handler(Http404)
def on_not_found(request, exc):
    return api.create_response(request, {"detail": str(exc) or "找不到"}, status=404)


# ninja's own HTTP errors, in Chinese (an unparsable body, a throttle); AuthenticationError below
HTTP_ERRORS_ZH = {400: "请求体不是合法的 JSON，无法解析", 429: "请求过于频繁，请稍后再试"}


@api.exception_handler(HttpError)
def on_http_error(request, exc):
    detail = HTTP_ERRORS_ZH.get(exc.status_code, str(exc))
    return api.create_response(request, {"detail": detail}, status=exc.status_code)


@api.exception_handler(AuthenticationError)
def on_auth(request, exc):
    # a locked or disabled account's token says so (auth.TokenRefused); anything else stays generic
    detail = getattr(exc, "detail", "") or "未登录或令牌已过期"
    return api.create_response(request, {"detail": detail}, status=401)


auth_router = Router(tags=["认证"])


@auth_router.post(
    "/token", response={200: TokenOut, 401: ErrorOut, 429: ErrorOut}, auth=None, summary="用户名密码换取令牌"
)
def token(request, payload: TokenIn):
    user = authenticate(request, username=payload.username, password=payload.password)
    if user is None or not user.is_active:
        return Status(401, {"detail": "用户名或密码错误"})
    return Status(200, {"token": token_issue(user=user, name="api"), "expires_in": TOKEN_HOURS * 3600})


registry = Router(tags=["人员与家庭"], auth=BearerToken())


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


@registry.get("/persons", response=PersonPage, summary="人员列表（脱敏）")
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


@registry.post(
    "/persons/search",
    response={200: PersonPage, 422: ErrorOut},
    summary="人员查找（条件在请求体中：按身份证号查找时号码不进网址）",
)
def persons_search(request, payload: SearchIn):
    return persons_list(request, q=payload.q, region=payload.region, offset=payload.offset, limit=payload.limit)


@registry.get("/persons/{person_id}", response=PersonOut, summary="人员详情（脱敏）")
def person_detail(request, person_id: int):
    return _person_out(selectors.person_get(user=request.user, pk=person_id))


@registry.post("/persons", response={201: PersonOut, 422: ErrorOut, 403: ErrorOut}, summary="登记人员")
def person_create(request, payload: PersonIn):
    person = services.person_create(user=request.user, data=payload.dict())
    return Status(201, _person_out(person))


@registry.patch("/persons/{person_id}", response={200: PersonOut, 422: ErrorOut, 403: ErrorOut}, summary="修改人员")
def person_update(request, person_id: int, payload: PersonPatch):
    person = selectors.person_get(user=request.user, pk=person_id)
    person = services.person_update(user=request.user, person=person, data=payload.dict(exclude_unset=True))
    return Status(200, _person_out(person))


@registry.post(
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


@registry.get("/households", response=HouseholdPage, summary="家庭列表")
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


@registry.post(
    "/households/search",
    response={200: HouseholdPage, 422: ErrorOut},
    summary="家庭查找（条件在请求体中：按身份证号查找时号码不进网址）",
)
def households_search(request, payload: SearchIn):
    return households_list(request, q=payload.q, region=payload.region, offset=payload.offset, limit=payload.limit)


@registry.get("/households/{household_id}", response=HouseholdOut, summary="家庭详情")
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


@registry.post(
    "/households",
    response={201: HouseholdOut, 404: ErrorOut, 422: ErrorOut, 403: ErrorOut},
    summary="建立家庭（可同时登记新成员）",
)
def household_create(request, payload: HouseholdIn):
    household = household_from_payload(request, payload)
    return Status(201, _household_out(selectors.household_get(user=request.user, pk=household.pk)))


@registry.patch(
    "/households/{household_id}",
    response={200: HouseholdOut, 422: ErrorOut, 403: ErrorOut},
    summary="修改家庭",
)
def household_update(request, household_id: int, payload: HouseholdPatch):
    household = selectors.household_get(user=request.user, pk=household_id)
    services.household_update(user=request.user, household=household, data=payload.dict(exclude_unset=True))
    return Status(200, _household_out(selectors.household_get(user=request.user, pk=household_id)))


assistance = Router(tags=["社会救助"], auth=BearerToken())


@assistance.post(
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


@assistance.get(
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


@assistance.get("/enrollments", response=EnrollmentPage, exclude_none=True, summary="保障对象（台账）")
def enrollments_list(
    request, program: str = "", state: str = "", region: str = "", q: str = "",
    offset: int = Query(0, ge=0, le=MAX_OFFSET), limit: int = Query(50, ge=1, le=500),
):  # fmt: skip
    qs = benefits.enrollment_search(user=request.user, program=program, state=state, region=region, q=q)
    qs = qs.select_related("household__head")
    return {"count": qs.count(), "items": [_enrollment_out(e) for e in qs[offset : offset + limit]]}


@assistance.get("/enrollments/{enrollment_id}", response=EnrollmentOut, summary="保障对象详情（含变动记录）")
def enrollment_detail(request, enrollment_id: int):
    return _enrollment_out(benefits.enrollment_get(user=request.user, pk=enrollment_id), events=True)


api.add_router("/auth", auth_router)
api.add_router("/", registry)
api.add_router("/assistance", assistance)
api.add_router("/", cases_router)
api.add_router("/", sources_router)
api.add_router("/", monitoring_router)
api.add_router("/", verification_router)

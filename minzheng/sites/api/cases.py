"""``/api/v1/cases`` and ``/api/v1/tasks``: open a case, read its status, deadline, open tasks and
history, take a transition, upload a material, read the caller's inbox. An illegal transition is
409 with the Chinese reason; a case outside the caller's regions is 404."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from django.core.exceptions import ValidationError
from django.db import transaction
from ninja import File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile

from minzheng.engines.cases import selectors
from minzheng.engines.cases.builtin import materials_missing
from minzheng.engines.cases.definition import OUTCOMES
from minzheng.engines.cases.models import Case, TaskState
from minzheng.engines.cases.services import case_act, case_open, material_add
from minzheng.foundation.registry import selectors as registry
from minzheng.foundation.registry.models import Person

from .auth import BearerToken
from .registry import household_from_payload
from .routers import api_router
from .schemas import MAX_OFFSET, ErrorOut, HouseholdIn

router = Router(tags=["事项与办件"], auth=BearerToken())


class CaseIn(Schema):
    case_type: str
    household_id: int | None = None
    household: HouseholdIn | None = None  # a new household, as in POST /households
    applicant_id: int | None = None  # default: the household's head
    channel: Literal["window", "portal", "assisted"] = "window"


class TransitionIn(Schema):
    action: str
    opinion: str = ""
    data: dict[str, Any] = {}


class TaskOut(Schema):
    id: int
    case_number: str
    case_type: str
    case_type_name: str
    applicant_name: str | None
    step: str
    step_name: str
    role: str
    office_region_code: str
    due_date: dt.date | None
    not_before: dt.date | None
    flag: str  # overdue | near | ''
    claimed_by: str | None


class TaskPage(Schema):
    count: int
    items: list[TaskOut]


class HistoryOut(Schema):
    seq: int
    at: dt.datetime
    action: str
    action_name: str
    from_step: str
    to_step: str
    actor: str
    role: str
    opinion: str


class ActionOut(Schema):
    action: str
    name: str
    opinion_required: bool
    form: str


class MissingMaterialOut(Schema):
    code: str
    name: str


class MaterialOut(Schema):
    code: str
    name: str
    file_name: str
    uploaded_at: dt.datetime


class DocumentOut(Schema):
    id: int
    kind: str
    title: str
    created_at: dt.datetime


class MayOut(Schema):
    """What the caller may do on the case now (``cases.selectors.case_page``, as the workbench's
    case page offers it); the service checks again when it is done."""

    act: bool  # holds the open task's role in its office
    actions: list[str]  # the actions the caller may take now (POST …/transitions)
    claim: bool
    release: bool
    suspend: bool
    resume: bool
    extend: bool
    supervise: bool
    materials: bool  # may upload a material (POST …/materials)
    documents: list[str]  # document kinds the caller may print at this step


class PanelOut(Schema):
    """What the case's business line shows on it (``cases.panels``): its name, title and data."""

    key: str
    title: str
    data: dict[str, Any]


class CaseOut(Schema):
    number: str
    case_type: str
    case_type_name: str
    version: int
    region_code: str
    channel: str
    household_id: int | None
    applicant_id: int | None
    applicant_name: str | None
    step: str
    step_name: str
    outcome: str
    outcome_name: str
    opened_at: dt.datetime
    accepted_on: dt.date | None
    due_date: dt.date | None
    extended: bool
    delegated: bool
    suspended_since: dt.date | None
    closed_at: dt.datetime | None
    actions: list[ActionOut]
    open_tasks: list[TaskOut]
    missing_materials: list[MissingMaterialOut]
    materials: list[MaterialOut]
    documents: list[DocumentOut]
    assessment: dict | None = None
    enrollment_number: str | None = None
    history: list[HistoryOut]
    may: MayOut
    panels: list[PanelOut]
    messages: list[str] = []


def _task_out(t, flags) -> dict:
    return {
        "id": t.pk, "case_number": t.case.number, "case_type": t.case.case_type_id,
        "case_type_name": t.case.case_type.name, "applicant_name": t.case.applicant.name if t.case.applicant else None,
        "step": t.step, "step_name": t.step_name, "role": t.role, "office_region_code": t.region_code,
        "due_date": t.due_date, "not_before": t.not_before, "flag": flags.of(t.due_date),
        "claimed_by": str(t.claimed_by) if t.claimed_by_id else None,
    }  # fmt: skip


def _may_out(page) -> dict:
    return {
        "act": page.act, "actions": [t.action for t in page.actions], "claim": page.claim, "release": page.release,
        "suspend": page.suspend, "resume": page.resume, "extend": page.extend, "supervise": page.supervise,
        "materials": page.materials, "documents": [kind for kind, _title in page.documents],
    }  # fmt: skip


def case_out(case: Case, user, messages=()) -> dict:
    spec = case.spec
    flags = selectors.Flags.today()
    page = selectors.case_page(user, case, today=flags.today_)
    tasks = case.tasks.filter(state=TaskState.OPEN).select_related("case__case_type", "case__applicant", "claimed_by")
    return {
        "number": case.number, "case_type": case.case_type_id, "case_type_name": spec.name,
        "version": case.version.version, "region_code": case.region_code, "channel": case.channel,
        "household_id": case.household_id, "applicant_id": case.applicant_id,
        "applicant_name": case.applicant.name if case.applicant else None, "step": case.step,
        "step_name": spec.step(case.step).name, "outcome": case.outcome, "outcome_name": OUTCOMES.get(case.outcome, ""),
        "opened_at": case.opened_at, "accepted_on": case.accepted_on, "due_date": case.due_date,
        "extended": case.extended, "delegated": case.delegated, "suspended_since": case.suspended_since,
        "closed_at": case.closed_at,
        "actions": [] if case.closed else [
            {"action": t.action, "name": t.name, "opinion_required": t.opinion_required, "form": t.form}
            for t in spec.actions_from(case.step)
        ],
        "open_tasks": [_task_out(t, flags) for t in tasks],
        "missing_materials": [] if case.closed else [{"code": m.code, "name": m.name} for m in materials_missing(case)],
        "materials": [{"code": m.code, "name": m.name, "file_name": m.file.name, "uploaded_at": m.uploaded_at}
                      for m in case.materials.select_related("file").order_by("pk")],
        "documents": [{"id": d.pk, "kind": d.kind, "title": d.title, "created_at": d.created_at}
                      for d in case.documents.order_by("pk")],
        "assessment": case.data.get("assessment"), "enrollment_number": case.data.get("enrollment_number"),
        "history": [
            {"seq": s.seq, "at": s.at, "action": s.action, "action_name": s.action_name, "from_step": s.from_step,
             "to_step": s.to_step, "actor": s.actor_name, "role": s.actor_role, "opinion": s.opinion}
            for s in case.history.order_by("seq")
        ],
        "may": _may_out(page),
        "panels": [{"key": p.key, "title": p.title, "data": p.data} for p in page.panels],
        "messages": list(messages),
    }  # fmt: skip


def _reload(request, number: str) -> Case:
    return selectors.case_get(user=request.user, number=number)


@router.post("/cases", response={201: CaseOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut, 403: ErrorOut},
             exclude_none=True, summary="登记申请（开办件）")  # fmt: skip
def case_create(request, payload: CaseIn):
    """Either ``household_id`` of a household in the caller's regions, or ``household`` (a new one,
    created in the same transaction). The applicant defaults to the household's head."""
    with transaction.atomic():
        if payload.household_id is not None:
            household = registry.household_get(user=request.user, pk=payload.household_id)
        elif payload.household is not None:
            household = household_from_payload(request, payload.household)
        else:
            raise ValidationError({"household_id": "须给出 household_id 或新家庭 household"})
        if payload.applicant_id is not None:
            applicant = registry.person_get(user=request.user, pk=payload.applicant_id)
        else:
            applicant = household.head
        case = case_open(user=request.user, case_type=payload.case_type, region_code=household.region_code,
                         household=household, applicant=applicant, channel=payload.channel)  # fmt: skip
    return Status(201, case_out(_reload(request, case.number), request.user))


@router.get("/cases/{number}", response={200: CaseOut, 404: ErrorOut}, exclude_none=True,
            summary="办件状态、期限、待办与办理记录")  # fmt: skip
def case_detail(request, number: str):
    return case_out(_reload(request, number), request.user)


@router.post("/cases/{number}/transitions",
             response={200: CaseOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut},
             exclude_none=True, summary="办理（执行一个允许的动作并填写意见）")  # fmt: skip
def case_transition(request, number: str, payload: TransitionIn):
    case = _reload(request, number)
    case = case_act(user=request.user, case=case, action=payload.action, opinion=payload.opinion, data=payload.data)
    return Status(200, case_out(_reload(request, case.number), request.user, messages=case.messages))


@router.post("/cases/{number}/materials",
             response={201: CaseOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut},
             exclude_none=True, summary="上传申请材料（multipart：code, file, 可选 person_id 所属成员）")  # fmt: skip
def case_material(request, number: str, code: Form[str], file: File[UploadedFile], person_id: Form[int | None] = None):
    case = _reload(request, number)
    person = None
    if person_id is not None:  # whose material (a member's own signed 授权书): a current member of the household
        person = Person.objects.filter(
            pk=person_id, memberships__household_id=case.household_id, memberships__valid_to__isnull=True
        ).first()
        if person is None:
            raise ValidationError({"person_id": "所属成员须是该家庭的现有成员"})
    material_add(user=request.user, case=case, code=code, data=file, name=file.name or "", person=person)
    return Status(201, case_out(_reload(request, number), request.user))


@router.get("/tasks", response=TaskPage, summary="我的待办")
def tasks_list(
    request,
    flag: Literal["", "overdue", "near"] = "",
    mine: bool = False,
    case_type: str = "",
    offset: int = Query(0, ge=0, le=MAX_OFFSET),
    limit: int = Query(50, ge=1, le=200),
):
    qs = selectors.inbox(request.user, mine=mine, flag=flag, case_type=case_type)
    flags = selectors.Flags.today()
    return {"count": qs.count(), "items": [_task_out(t, flags) for t in qs[offset : offset + limit]]}


api_router("cases", router, prefix="/", order=40)

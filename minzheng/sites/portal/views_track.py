"""我的办件 and 进度查询.

A signed-in citizen sees the cases where they are the applicant, a current member of the
household, or the registered 代办 (``Submission.citizen``); any other number is a 404, never a
hint that it exists. What is shown is the public part only: status in plain words, the step and
the office, the deadline, the history by action and date — no staff names, no opinions — what is
missing (the 一次性告知 with the window's explanation, which its PDF carries too) with upload in
place, and the documents addressed to the applicant.

The anonymous lookup (number + last six characters of the applicant's ID number) answers a wrong
number and a wrong ID number with the same page after the same work: one case query, one
decryption (of a dummy token when there is no case), a constant-time comparison, one audit row.
It is rate-limited per client address and per case number, counted from those audit rows in the
database (``at`` index; ``object_type, object_id`` index): the count is shared by every worker
and survives restarts, which the per-process default cache would not, and needs no table of its
own because every lookup is audited anyway.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hmac

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from minzheng.engines.cases.builtin import materials_missing
from minzheng.engines.cases.definition import LEVEL_DIGITS, OUTCOMES
from minzheng.engines.cases.models import Case, CaseDocument, TaskState
from minzheng.engines.cases.selectors import tasks_with_notices
from minzheng.engines.cases.services import mask_name, material_add
from minzheng.engines.cases.signatures import paper_signatures_due
from minzheng.foundation.audit.context import Actor, acting_as
from minzheng.foundation.audit.middleware import client_ip
from minzheng.foundation.audit.models import AuditEvent
from minzheng.foundation.audit.services import audit_record
from minzheng.foundation.crypto import sm
from minzheng.foundation.files.services import file_response
from minzheng.foundation.regions.models import Region
from minzheng.foundation.validation import Refused

from .forms_apply import LookupForm, UploadForm
from .session import citizen_of, citizen_required
from .views_apply import page

# Documents addressed to the applicant (not the internal 调查表 / 审核表).
APPLICANT_DOCUMENTS = {
    "acceptance_notice", "missing_materials_notice", "not_accepted_notice", "refusal_notice", "termination_notice",
    "approval_decision", "temp_decision",
}  # fmt: skip
UPLOAD_STEPS = {"apply", "supplement"}
LOOKUPS_PER_IP_HOUR = 20
LOOKUPS_PER_NUMBER_HOUR = 10
LOOKUP_TYPE = "portal.lookup"
NOT_FOUND = "未查询到匹配的办件。请核对办件编号和申请人身份证号后六位；如有疑问，请联系受理的乡镇（街道）。"


def my_cases(citizen):
    """Cases of the citizen: applicant, current household member, or registered 代办."""
    q = Q(portal_submission__citizen=citizen)
    if citizen.person_id:
        q |= Q(applicant_id=citizen.person_id)
        q |= Q(household__memberships__person_id=citizen.person_id, household__memberships__valid_to__isnull=True)
    ids = Case.objects.filter(q).values("pk")
    return Case.objects.filter(pk__in=ids).select_related("case_type", "version").order_by("-opened_at")


def plain_status(case: Case) -> str:
    if case.closed:
        return f"已办结：{OUTCOMES.get(case.outcome, case.outcome)}"
    if case.step == "supplement":
        return "需要补正材料"
    if case.suspended_since:
        return "暂停办理（等待相关情况核实）"
    if case.accepted_on is None:
        return "已提交，等待受理"
    return "办理中"


def office_of(case: Case, task) -> str:
    code = task.region_code if task else case.region_code[: LEVEL_DIGITS["township"]].ljust(12, "0")
    name = Region.objects.filter(code=code).values_list("name", flat=True).first() or ""
    if code.endswith("000000") and code[4:6] != "00":  # a county: the civil-affairs bureau
        return f"{name}民政局"
    return name + ("办事处" if name.endswith("街道") else "人民政府")


def public_view(case: Case) -> dict:
    """What anyone entitled to the case may see of it (no staff names, no opinions)."""
    spec = case.spec
    task = case.tasks.filter(state=TaskState.OPEN).first()
    if task is not None:
        tasks_with_notices([task])  # task.notice: the 公示 running at this step, shown apart from the deadline
    step = spec.step(case.step)
    history = [
        {"at": s.at, "name": s.action_name, "to": spec.step(s.to_step).name if s.to_step else ""}
        for s in case.history.order_by("seq").only("at", "action_name", "to_step")
    ]
    return {
        "case": case, "item": spec.name, "status": plain_status(case), "step": step.name,
        "office": "" if case.closed else office_of(case, task),
        "deadline": None if case.closed else (task.due_date if task and task.due_date else case.due_date),
        "case_due": case.due_date, "history": history, "outcome": OUTCOMES.get(case.outcome, ""),
        "notice": None if case.closed or task is None else task.notice,
    }  # fmt: skip


# ---------------------------------------------------------------- 我的办件


@citizen_required
def cases(request):
    citizen = citizen_of(request)
    found, versions = list(my_cases(citizen)[:100]), {}
    for c in found:  # one version object per version: its definition is parsed once, not once a row
        c.version = versions.setdefault(c.version_id, c.version)
    rows = [{"case": c, "item": c.case_type.name, "status": plain_status(c), "step": c.spec.step(c.step).name}
            for c in found]  # fmt: skip
    return page(request, "portal/track/cases.html", {"rows": rows})


def _mine(citizen, number) -> Case:
    case = my_cases(citizen).filter(number=number).first()
    if case is None:
        raise Http404("办件不存在")
    return case


def _case_page(request, case, *, form=None, status=200, uploaded=False):
    view = public_view(case)
    missing = materials_missing(case) if case.step in UPLOAD_STEPS and not case.closed else []
    can_upload = case.step in UPLOAD_STEPS and not case.closed
    docs = [d for d in case.documents.order_by("created_at", "pk") if d.kind in APPLICANT_DOCUMENTS]
    materials = case.materials.order_by("uploaded_at", "pk").only("name", "uploaded_at", "note")
    # what the window wrote in its 一次性告知 is addressed to the applicant: shown while it stands
    told = ""
    if case.step == "supplement" and not case.closed:
        told = (
            case.history.filter(action="request_materials").order_by("-seq").values_list("opinion", flat=True).first()
            or ""
        )
    return page(request, "portal/track/case.html", {
        **view, "missing": missing, "told": told, "can_upload": can_upload, "documents": docs, "materials": materials,
        "paper": paper_signatures_due(case) if can_upload else [],
        "upload_form": form or UploadForm(materials=case.spec.materials), "uploaded": uploaded,
    }, status=status)  # fmt: skip


@citizen_required
def case(request, number):
    case = _mine(citizen_of(request), number)
    return _case_page(request, case, uploaded=bool(request.GET.get("uploaded")))


@require_POST
@citizen_required
def case_upload(request, number):
    """补正: upload a missing material in place (the citizen was checked: their own case)."""
    citizen = citizen_of(request)
    case = _mine(citizen, number)
    form = UploadForm(request.POST, request.FILES, materials=case.spec.materials)
    if case.step not in UPLOAD_STEPS or case.closed:
        form.add_error(None, "办件当前环节不需要补充材料")
        return _case_page(request, case, form=form, status=409)
    if not form.is_valid():
        return _case_page(request, case, form=form, status=422)
    upload = form.cleaned_data["file"]
    try:
        material_add(user=None, case=case, code=form.cleaned_data["code"], data=upload, name=upload.name,
                     note="网上补正", citizen_name=citizen.name or citizen.phone_masked)  # fmt: skip
    except (ValidationError, PermissionDenied) as exc:
        for msg in exc.messages if isinstance(exc, ValidationError) else [str(exc)]:
            form.add_error("file", msg)
        return _case_page(request, case, form=form, status=409 if isinstance(exc, Refused) else 422)
    return redirect(reverse("portal:case", args=[case.number]) + "?uploaded=1#materials")


@citizen_required
def case_document(request, number, pk):
    case = _mine(citizen_of(request), number)
    doc = CaseDocument.objects.select_related("file").filter(case=case, pk=pk, kind__in=APPLICANT_DOCUMENTS).first()
    if doc is None:
        raise Http404("文书不存在")
    audit_record(action="download", object_type="cases.document", object_id=doc.pk, region_code=case.region_code,
                 summary=f"群众下载《{doc.title}》（{case.number}）")  # fmt: skip
    return file_response(doc.file)


# ---------------------------------------------------------------- 进度查询


_DUMMY: dict[str, str] = {}


def _dummy_id_number() -> str:
    """Decrypt a token when no case matched, so both branches pay for one decryption."""
    token = _DUMMY.get("token")
    if token is not None:
        with contextlib.suppress(Exception):  # the keyring changed (tests, key rotation): a new token
            return sm.decrypt(token)
    token = _DUMMY["token"] = sm.encrypt("000000000000000000")
    return sm.decrypt(token)


def _throttled(ip: str, number: str) -> bool:
    since = timezone.now() - dt.timedelta(hours=1)
    recent = AuditEvent.objects.filter(object_type=LOOKUP_TYPE, at__gte=since)
    return (
        recent.filter(ip=ip).count() >= LOOKUPS_PER_IP_HOUR
        or recent.filter(object_id=number).count() >= LOOKUPS_PER_NUMBER_HOUR
    )


def lookup_match(number: str, id6: str) -> Case | None:
    """The case when the number exists and the last six characters of its applicant's ID number
    match; None otherwise, after the same work either way."""
    found = list(
        Case.objects.filter(number=number, applicant__isnull=False).values_list("pk", "applicant__id_number")[:1]
    )
    if found:
        pk, id_number = found[0]  # decrypted on read (from_db_value)
    else:
        pk, id_number = None, _dummy_id_number()
    ok = hmac.compare_digest(id_number[-6:].upper().encode(), (id6 or "").strip().upper().encode())
    return Case.objects.select_related("case_type", "version", "applicant").get(pk=pk) if ok and pk else None


def lookup(request):
    form = LookupForm(request.POST or None)
    result, status, message = None, 200, ""
    if request.method == "POST":
        ip = client_ip(request)
        number = (request.POST.get("number") or "").strip().upper()[:30]
        with acting_as(Actor(None, "匿名进度查询", ip, "portal")):
            if _throttled(ip, number):
                status, message = 429, "查询过于频繁，请一小时后再试，或到乡镇（街道）窗口查询。"
                audit_record(action="lookup", object_type=LOOKUP_TYPE, object_id=number, summary="进度查询（已限流）")
            elif form.is_valid():
                case = lookup_match(number, form.cleaned_data["id6"])
                audit_record(action="lookup", object_type=LOOKUP_TYPE, object_id=number,
                             region_code=case.region_code if case else "",
                             summary="进度查询：" + ("匹配" if case else "未匹配"))  # fmt: skip
                form = LookupForm()  # nothing typed is echoed: the same page for either mistake
                if case is None:
                    message = NOT_FOUND
                else:
                    result = public_view(case)
                    result["masked_name"] = mask_name(case.applicant.name)
            else:
                status = 422
    return page(request, "portal/track/lookup.html", {"form": form, "result": result, "message": message},
                status=status)  # fmt: skip

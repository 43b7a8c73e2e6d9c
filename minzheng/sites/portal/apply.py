"""Applying on the portal (网上申请), whatever the item: a draft the citizen fills in step by step
on the server, then one submission that opens a case with channel ``portal``.

The steps, what they hold and how the case is opened are the item's application plugin's
(:mod:`.applications`: the case type's definition names it); this module is what every plugin
shares: the online items, whom a citizen may act for, the drafts (``Draft.data``, SM4-encrypted
JSON with ``acting_as``, ``agent_name``, ``person_id`` and the plugin's keys), the uploads of the
case type's materials (stored, sniffed and size-limited, at once; attached to the case on
submission), the one-running-application rule, and the submission transaction with its
``Submission`` row and audit.
"""

from __future__ import annotations

import json

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404

from minzheng.engines.cases.models import Case, CaseType
from minzheng.engines.cases.services import duplicate_refuse, material_add
from minzheng.foundation.audit.services import audit_record
from minzheng.foundation.files.models import StoredFile
from minzheng.foundation.files.services import file_open, file_store
from minzheng.foundation.registry.models import Household, Membership, Person
from minzheng.foundation.registry.normalise import id_index

from .applications import APPLICATIONS, ApplicationPlugin
from .models import ActingAs, Citizen, Draft, Submission

# ---------------------------------------------------------------- the items offered online


def online_types() -> list[CaseType]:
    """Published case types a citizen may apply for here: ``online``, and naming an application
    plugin that is registered (:data:`.applications.APPLICATIONS`) — an item an office starts
    itself (a 变更, a 停保) names none."""
    out = []
    for ct in CaseType.objects.select_related("published").filter(published__isnull=False):
        spec = ct.published.spec
        if spec.online and spec.application in APPLICATIONS:
            out.append(ct)
    return out


def online_type(code: str) -> CaseType:
    for ct in online_types():
        if ct.code == code:
            return ct
    raise ValidationError({"case_type": "该事项暂不支持网上申请，请到乡镇（街道）窗口办理"})


def plugin_of(case_type: CaseType) -> ApplicationPlugin:
    """The application plugin the case type's published definition names (404 when none is)."""
    spec = case_type.published.spec if case_type.published_id else None
    plugin = APPLICATIONS.get(spec.application) if spec is not None and spec.application else None
    if plugin is None:
        raise Http404("该事项暂不支持网上申请")
    return plugin


def draft_case_type(draft: Draft) -> CaseType:
    return CaseType.objects.select_related("published").get(code=draft.case_type)


# ---------------------------------------------------------------- who the citizen may act for


def acting_choices(citizen: Citizen) -> list[dict]:
    """``[{"key", "acting_as", "person", "label"}]`` from the account module's ``acting_options``
    (本人, family members, 协理员代办); only 本人 while that module is not there."""
    try:
        from . import services as account

        options = list(account.acting_options(citizen))
    except (ImportError, AttributeError):
        options = None
    out = []
    if options is None:
        out.append({"acting_as": ActingAs.SELF, "person": citizen.person, "label": f"本人（{citizen.name}）"})
    else:
        for o in options:
            get = o.get if isinstance(o, dict) else (lambda k, d=None, o=o: getattr(o, k, d))
            if isinstance(o, tuple | list):
                acting, person, label = [*o, None, None, None][:3]
            else:
                acting, person, label = get("acting_as"), get("person"), get("label")
            acting = str(acting or ActingAs.SELF)
            name = person.name if person else citizen.name
            out.append({"acting_as": acting, "person": person, "label": label or f"{name}"})
    for o in out:
        o["key"] = f"{o['acting_as']}:{o['person'].pk if o['person'] else 0}"
    return out


def _may_act_for(citizen: Citizen, person: Person | None) -> bool:
    if person is None or (citizen.person_id and person.pk == citizen.person_id):
        return True
    try:
        from . import services as account

        return bool(account.may_act_for(citizen, person))
    except (ImportError, AttributeError):
        return False


def is_bound(citizen: Citizen) -> bool:
    return bool(citizen.verified_at and citizen.id_number and citizen.name)


# ---------------------------------------------------------------- one running application per item


def _number_shown(citizen: Citizen, case: Case) -> str:
    """The running case's number as this citizen may see it: whole for a member of the household or
    the citizen who submitted it; otherwise (a village assistant) only its last two digits."""
    own = Submission.objects.filter(case=case, citizen=citizen).exists() or (
        citizen.person_id is not None
        and Membership.objects.filter(household_id=case.household_id, person_id=citizen.person_id,
                                      valid_to__isnull=True).exists()
    )  # fmt: skip
    if own:
        return case.number
    head, _, seq = case.number.rpartition("-")
    return f"{head}-{'*' * (len(seq) - 2)}{seq[-2:]}"


def duplicate_check(*, citizen: Citizen, case_type: CaseType, household: Household) -> None:
    """The case engine's rule (:func:`~minzheng.engines.cases.services.duplicate_refuse`), asked at
    the first step so nobody fills seven steps to be refused at the end."""
    mine = Case.objects.filter(case_type=case_type, household=household, closed_at__isnull=True,
                               portal_submission__citizen=citizen).exists()  # fmt: skip
    window = f"{case_type.category}窗口" if case_type.category else "办事窗口"  # e.g. 社会救助窗口
    hint = ("可在“我的办件”查看进度、补交材料" if mine else
            f"如需了解办理进度或补充情况，请联系乡镇（街道）{window}")  # fmt: skip
    duplicate_refuse(case_type=case_type, household=household, shown=lambda c: _number_shown(citizen, c), hint=hint)


# ---------------------------------------------------------------- drafts


def draft_data(draft: Draft) -> dict:
    try:
        return json.loads(draft.data or "{}")
    except ValueError:
        return {}


def draft_write(draft: Draft, data: dict, step: str | None = None) -> None:
    draft.data = json.dumps(data, ensure_ascii=False)
    fields = ["data", "updated_at"]
    if step is not None:
        draft.step = step
        fields.append("step")
    draft.save(update_fields=fields)


def draft_get(*, citizen: Citizen, pk: int) -> Draft:
    """The citizen's own draft, or 404 (never someone else's)."""
    draft = Draft.objects.filter(citizen=citizen, pk=pk).first()
    if draft is None:
        raise Http404("草稿不存在")
    return draft


def drafts_of(citizen: Citizen):
    return Draft.objects.filter(citizen=citizen).order_by("-updated_at")


def draft_start(*, citizen: Citizen, case_type: str, choice: str) -> Draft:
    """Start a draft for an item and a person the citizen may act for; its first contents are the
    plugin's (:meth:`~.applications.ApplicationPlugin.start`, which may refuse)."""
    if not is_bound(citizen):
        raise PermissionDenied("请先完成实名认证")
    ct = online_type(case_type)
    plugin = plugin_of(ct)
    option = next((o for o in acting_choices(citizen) if o["key"] == choice), None)
    if option is None:
        raise ValidationError({"choice": "请选择为谁申请"})
    person = option["person"]
    if person is None and option["acting_as"] == ActingAs.SELF:
        person = person_by_id(citizen.id_number)  # bound but not linked yet
    data = {
        "acting_as": option["acting_as"],
        "agent_name": citizen.name if option["acting_as"] != ActingAs.SELF else "",
        "person_id": person.pk if person else None,
    }
    data.update(plugin.start(citizen=citizen, case_type=ct, person=person, acting_as=option["acting_as"]))
    draft = Draft.objects.create(citizen=citizen, case_type=ct.code, step=plugin.steps[0].code,
                                 data=json.dumps(data, ensure_ascii=False))  # fmt: skip
    audit_record(action="create", object_type="portal.draft", object_id=draft.pk,
                 summary=f"开始网上申请「{ct.name}」（草稿）")  # fmt: skip
    return draft


def draft_advance(*, draft: Draft, plugin: ApplicationPlugin, step: str) -> None:
    """After a step was saved: the draft is at the step after it (the last one stays)."""
    codes = [s.code for s in plugin.steps]
    index = codes.index(step)
    if index + 1 < len(codes):
        draft.step = codes[index + 1]
        draft.save(update_fields=["step", "updated_at"])


def draft_discard(*, draft: Draft) -> None:
    audit_record(action="delete", object_type="portal.draft", object_id=draft.pk, summary="删除网上申请草稿")
    draft.delete()


def person_by_id(id_number: str) -> Person | None:
    if not id_number:
        return None
    return Person.objects.filter(id_number_index=id_index(id_number)).first()


# ---------------------------------------------------------------- uploads (the portal's MATERIALS step)


def materials_of(draft: Draft) -> list:
    return draft_case_type(draft).published.spec.materials


def draft_file_add(*, draft: Draft, code: str, upload) -> Draft:
    """Store one material for the draft: the type is sniffed from the bytes, the size limited."""
    data = draft_data(draft)
    if not any(m.code == code for m in materials_of(draft)):
        raise ValidationError({"code": "请选择材料类型"})
    if upload is None:
        raise ValidationError({"file": "请选择要上传的文件或拍照"})
    if len(draft.files or []) >= 30:
        raise ValidationError({"file": "每份申请最多上传 30 个文件"})
    region = data.get("region_code") or "000000000000"
    try:
        stored = file_store(user=None, data=upload, name=getattr(upload, "name", "") or "upload", region_code=region)
    except ValidationError as exc:
        raise ValidationError({"file": exc.messages}) from None
    with transaction.atomic():
        draft.files = [*(draft.files or []), {"code": code, "file_id": stored.pk, "name": stored.name}]
        draft.save(update_fields=["files", "updated_at"])
        audit_record(action="upload", object_type="portal.draft", object_id=draft.pk, region_code=data.get("region_code") or "",
                     summary=f"网上申请草稿上传材料（{_material_label(draft, code)}）",
                     changes={"file_id": stored.pk, "code": code})  # fmt: skip
    return draft


def _material_label(draft: Draft, code: str) -> str:
    return next((m.name for m in materials_of(draft) if m.code == code), code)


def draft_file_remove(*, draft: Draft, index: int) -> Draft:
    files = list(draft.files or [])
    if 0 <= index < len(files):
        gone = files.pop(index)
        with transaction.atomic():
            draft.files = files
            draft.save(update_fields=["files", "updated_at"])
            audit_record(action="update", object_type="portal.draft", object_id=draft.pk,
                         region_code=draft_data(draft).get("region_code") or "",
                         summary=f"网上申请草稿删除材料（{_material_label(draft, gone.get('code', ''))}）",
                         changes={"file_removed": gone.get("file_id")})  # fmt: skip
    return draft


def uploads_attach(*, case: Case, draft: Draft, who: str) -> None:
    """Attach the draft's uploads to the case (for a plugin's ``submit``)."""
    for f in draft.files or []:
        stored = StoredFile.objects.filter(pk=f["file_id"]).first()
        if stored is not None:
            material_add(user=None, case=case, code=f["code"], data=file_open(stored), name=stored.name,
                         note="网上申请上传", citizen_name=who)  # fmt: skip


# ---------------------------------------------------------------- submission


def draft_submit(*, citizen: Citizen, draft: Draft) -> Case:
    """The plugin's refusals first; then one transaction: the plugin opens the case and attaches its
    materials, the ``Submission`` row records who submitted in what capacity, audited; the draft
    deleted."""
    if not is_bound(citizen):
        raise PermissionDenied("请先完成实名认证")
    data = draft_data(draft)
    ct = online_type(draft.case_type)
    plugin = plugin_of(ct)
    plugin.check(citizen=citizen, draft=draft, data=data, case_type=ct)
    person = Person.objects.filter(pk=data["person_id"]).first() if data.get("person_id") else None
    if not _may_act_for(citizen, person):
        raise PermissionDenied("您不能为该人员代办申请")
    who = citizen.name or citizen.phone_masked
    with transaction.atomic():
        case = plugin.submit(citizen=citizen, draft=draft, data=data, case_type=ct)
        Submission.objects.create(case=case, citizen=citizen, acting_as=data.get("acting_as") or ActingAs.SELF,
                                  agent_name=data.get("agent_name") or "")  # fmt: skip
        audit_record(action="submit", object_type="cases.case", object_id=case.number, region_code=case.region_code,
                     summary=f"网上申请「{ct.name}」{case.number}（{ActingAs(data.get('acting_as') or 'self').label}，"
                             f"群众 {who}）")  # fmt: skip
        draft.delete()
    return case

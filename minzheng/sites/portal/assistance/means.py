"""The means questionnaire of the assistance applications (低保, 特困, 边缘, 刚性支出, 临时救助):
household members, incomes, expenses and property, the self-check estimate, each member's 授权书,
and the submission that turns them into a case. The portal's generic application machinery
(:mod:`minzheng.sites.portal.apply`) drives these steps through the plugin in :mod:`.plugin`.

The draft (``Draft.data``, SM4-encrypted JSON) holds, beside the portal's ``acting_as``,
``agent_name`` and ``person_id``::

    {"household_id": 7 | None, "region_code": "330381001001", "hukou_type": "urban", "address": "",
     "members": [{"person_id": 12 | None, "name": "王建国", "id_number": "…", "relation": "head"}],
     "incomes": {"0": {"wages": "6000", …}}, "expenses": {"medical": "…"}, "property": {…},
     "signatures": {"0": {"file_id": 5, "signer": "王建国", "role": "self" | "guardian" | "proxy",
                          "method": "typed" | "sms" | "account" | "proxy", "phone_masked": "", "at": "…"}}}

Full ID numbers of members live only in the encrypted draft and the registry; the case's
``data["declared"]`` keeps masked numbers and person ids. The 授权书 of each adult member (or of
the guardian for a minor) is rendered as a PDF when signed, saying how the signature was obtained.
A 授权书 signed in the member's place (代为签署) puts the member in the case's
``data["paper_signatures"]``: the case is not accepted before their own paper arrives.

The rules themselves are the assistance line's: the estimate is its assessment
(:func:`minzheng.business.assistance.assessment.assessment_run`), the case types are its
definitions; this module holds what a citizen fills in and how it is checked and rendered.
"""

from __future__ import annotations

import datetime as dt
import hmac
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404
from django.utils import timezone

from minzheng.business.assistance.assessment import assessment_run, family_excluded_kinds
from minzheng.engines.cases.models import Case, CaseType
from minzheng.engines.cases.services import case_open, material_add
from minzheng.engines.verification.models import SignerRole
from minzheng.foundation.audit.services import audit_record
from minzheng.foundation.codes import IdNumberError, parse_id_number
from minzheng.foundation.documents.render import Document, Fields, Note, Paragraph, Table, render_pdf
from minzheng.foundation.files.models import StoredFile
from minzheng.foundation.files.services import file_open, file_store_generated
from minzheng.foundation.notify.services import MOBILE, phone_index_of, phone_normalise
from minzheng.foundation.regions.models import Region
from minzheng.foundation.registry.models import Household, Membership, Person, Relation
from minzheng.foundation.registry.normalise import id_index, mask_phone
from minzheng.foundation.registry.services import household_register
from minzheng.foundation.validation import is_digits

from .. import services as account
from ..apply import draft_case_type, draft_data, draft_write, duplicate_check, is_bound, person_by_id, uploads_attach
from ..models import ActingAs, Citizen, Draft, LoginCode, SignRequest

ADULT_AGE = 18
RELATIONS = dict(Relation.choices)
# the income kinds the questionnaire asks about, in a citizen's words; which of them are left out
# of income is not said here but by the assessment's definition (:func:`income_kinds`)
INCOME_KINDS = [
    ("wages", "工资性收入"),
    ("business", "经营净收入"),
    ("property", "财产净收入（租金、利息等）"),
    ("transfer", "转移净收入（赡养费等）"),
    ("basic_pension", "城乡居民基础养老金"),
]


def income_kinds(data: dict) -> list[tuple[str, str]]:
    """The questionnaire's income kinds with their labels, a kind left out of income marked
    （不计入） as the assessment leaves it out for the household's region today (the exclusions in
    force there, :func:`~minzheng.business.assistance.assessment.family_excluded_kinds`)."""
    excluded = family_excluded_kinds(
        region_code=data.get("region_code") or "", hukou_type=data.get("hukou_type") or "", on=timezone.localdate()
    )
    return [(k, label + ("（不计入）" if k in excluded else "")) for k, label in INCOME_KINDS]


EXPENSE_KINDS = [
    ("medical", "医疗"),
    ("education", "教育"),
    ("rehabilitation", "康复"),
    ("other_rigid", "其他刚性支出"),
]
PROPERTY_FIELDS = [
    ("financial_assets", "存款、理财等金融资产（元）", "money"),
    ("houses", "住房（套）", "count"),
    ("non_residential_houses", "非居住类房屋（套）", "count"),
    ("vehicles", "机动车辆（辆）", "count"),
    ("business_registrations", "经营主体登记（个）", "count"),
]
CLASSIFICATIONS = {
    "dibao": "可能符合最低生活保障条件",
    "dibao_single_person": "可能符合单人户纳入低保条件",
    "dibao_edge": "可能符合低保边缘家庭条件",
    "tekun": "可能符合特困人员条件",
    "rigid_expense": "可能符合刚性支出困难家庭条件",
    "not_eligible": "按所填情况暂不符合条件",
}
ESTIMATE_NOTE = "仅供参考，以审核确认结果为准"


# ---------------------------------------------------------------- household


def _members_of_household(household: Household) -> list[dict]:
    rows = Membership.objects.filter(household=household, valid_to__isnull=True).select_related("person")
    rows = sorted(rows, key=lambda m: (m.relation != "head", m.pk))  # the head first: index 0 signs for minors
    return [
        {"person_id": m.person_id, "name": m.person.name, "relation": m.relation, "id_number": m.person.id_number}
        for m in rows
    ]


def draft_prefill(*, citizen: Citizen, case_type: CaseType, person: Person | None, acting_as: str) -> dict:
    """The questionnaire's first contents: prefilled from the registry household of ``person``
    when the registry knows it (a second running application of the item is refused here, before
    anything is filled in)."""
    data = {"household_id": None, "region_code": "", "hukou_type": "", "address": "", "members": [],
            "incomes": {}, "expenses": {}, "property": {}, "signatures": {}}  # fmt: skip
    if person is not None:
        m = Membership.objects.filter(person=person, valid_to__isnull=True).select_related("household").first()
        if m is not None:
            h = m.household
            duplicate_check(citizen=citizen, case_type=case_type, household=h)  # before anything is filled in
            data.update(household_id=h.pk, region_code=h.region_code, hukou_type=h.hukou_type, address=h.address)
            data["members"] = _members_of_household(h)
        else:
            data.update(region_code=person.region_code, hukou_type=person.hukou_type)
            data["members"] = [{"person_id": person.pk, "name": person.name, "relation": "head",
                                "id_number": person.id_number}]  # fmt: skip
    elif acting_as == ActingAs.SELF:
        data["members"] = [{"person_id": None, "name": citizen.name, "relation": "head",
                            "id_number": citizen.id_number}]  # fmt: skip
        if citizen.assistant_region_code:
            data["region_code"] = citizen.assistant_region_code
    return data


def member_rows(data: dict, on: dt.date | None = None) -> list[dict]:
    """The members for display: masked ID numbers and ages computed from them (never stored)."""
    on = on or timezone.localdate()
    out = []
    for i, m in enumerate(data.get("members", [])):
        try:
            rid = parse_id_number(m.get("id_number", ""))
            age, masked = rid.age_on(on), rid.masked
        except IdNumberError:
            age, masked = None, ""
        out.append({**m, "index": i, "age": age, "masked": masked, "adult": age is not None and age >= ADULT_AGE,
                    "known": bool(m.get("person_id")), "id_number": None,
                    "relation_label": RELATIONS.get(m.get("relation"), "")})  # fmt: skip
    return out


def draft_township_choose(*, draft: Draft, township: str, hukou_type: str, address: str) -> Draft:
    """The township picked (its villages are listed next), with what was typed beside it kept."""
    data = draft_data(draft)
    data["township"] = township[:12]
    data["hukou_type"] = hukou_type
    data["address"] = address[:200]
    draft_write(draft, data)
    return draft


def draft_household_save(*, draft: Draft, region_code: str, hukou_type: str, address: str) -> Draft:
    data = draft_data(draft)
    errors = {}
    if not data.get("household_id"):
        region = Region.objects.filter(code=region_code, level="village").first()
        if region is None:
            errors["village"] = "请选择所在的村（社区）"
        if hukou_type not in ("urban", "rural"):
            errors["hukou_type"] = "请选择户籍类型"
        if errors:
            raise ValidationError(errors)
        data.update(region_code=region_code, hukou_type=hukou_type, address=address.strip()[:200])
    if not data.get("members"):
        raise ValidationError({"members": "请至少填写申请人本人"})
    draft_write(draft, data)
    return draft


def draft_member_add(*, draft: Draft, name: str, id_number: str, relation: str) -> Draft:
    """Add a member of the household not in the registry household (name, ID number, relation)."""
    from minzheng.foundation.registry.normalise import check_name

    data = draft_data(draft)
    errors = {}
    name = (name or "").strip()
    if msg := check_name(name):
        errors["name"] = msg
    try:
        rid = parse_id_number(id_number)
    except IdNumberError as exc:
        errors["id_number"] = str(exc)
        rid = None
    if relation not in Relation.values or relation == "head":
        errors["relation"] = "请选择与户主（申请人）的关系"
    if rid and any(m.get("id_number") == rid.number for m in data.get("members", [])):
        errors["id_number"] = "该成员已在名单中"
    if len(data.get("members", [])) >= 30:
        errors["name"] = "家庭成员最多 30 人"
    if errors:
        raise ValidationError(errors)
    data.setdefault("members", []).append(
        {"person_id": None, "name": name, "relation": relation, "id_number": rid.number}
    )
    draft_write(draft, data)
    return draft


def draft_member_remove(*, draft: Draft, index: int) -> Draft:
    data = draft_data(draft)
    members = data.get("members", [])
    if not (0 <= index < len(members)) or members[index].get("person_id") or members[index]["relation"] == "head":
        raise ValidationError("只能删除新增的成员；登记在册的成员如有变动，请到乡镇（街道）办理")
    members.pop(index)
    data["incomes"], data["signatures"] = {}, {}  # indexes shifted: incomes and signatures are re-entered
    draft_write(draft, data)
    return draft


def _money(value, field: str, errors: dict) -> str:
    value = (str(value or "")).strip().replace(",", "")
    if not value:
        return "0"
    try:
        amount = Decimal(value)
    except InvalidOperation:
        errors[field] = "请填写金额（元），如 12000 或 12000.50"
        return "0"
    if amount < 0 or amount > Decimal("99999999") or amount.as_tuple().exponent < -2:
        errors[field] = "金额应为 0 到 1 亿元之间、最多两位小数"
        return "0"
    return str(amount)


def draft_incomes_save(*, draft: Draft, post) -> Draft:
    data = draft_data(draft)
    errors, incomes = {}, {}
    for i, _m in enumerate(data.get("members", [])):
        incomes[str(i)] = {k: _money(post.get(f"m{i}_{k}"), f"m{i}_{k}", errors) for k, _ in INCOME_KINDS}
    if errors:
        raise ValidationError(errors)
    data["incomes"] = incomes
    draft_write(draft, data)
    return draft


def draft_property_save(*, draft: Draft, post) -> Draft:
    data = draft_data(draft)
    errors = {}
    data["expenses"] = {k: _money(post.get(f"e_{k}"), f"e_{k}", errors) for k, _ in EXPENSE_KINDS}
    prop = {}
    for key, _label, kind in PROPERTY_FIELDS:
        raw = (post.get(f"p_{key}") or "").strip()
        if kind == "money":
            prop[key] = _money(raw, f"p_{key}", errors)
        elif not raw:
            prop[key] = 0
        elif is_digits(raw) and int(raw) <= 99:
            prop[key] = int(raw)
        else:
            errors[f"p_{key}"] = "请填写 0 到 99 的整数"
    if errors:
        raise ValidationError(errors)
    data["property"] = prop
    draft_write(draft, data)
    return draft


def assessment_input(draft: Draft, data: dict | None = None) -> dict:
    data = data if data is not None else draft_data(draft)
    members = [{"name": m["name"], "id_number": m["id_number"], "relation": m["relation"]}
               for m in data.get("members", [])]  # fmt: skip
    incomes = []
    for i, row in (data.get("incomes") or {}).items():
        for kind, amount in row.items():
            if Decimal(amount):
                incomes.append({"member": int(i), "kind": kind, "annual_amount": amount})
    expenses = [{"kind": k, "annual_amount": v} for k, v in (data.get("expenses") or {}).items() if Decimal(v)]
    out = {
        "region_code": data.get("region_code") or "",
        "hukou_type": data.get("hukou_type") or "urban",
        "members": members,
        "incomes": incomes,
        "expenses": expenses,
        "property": data.get("property") or {},
    }
    mode = draft_case_type(draft).published.spec.params.get("temp_mode")  # 临时救助 急难型/支出型
    if mode:
        out["temp_assistance"] = {"kind": mode}
    return out


def draft_estimate(draft: Draft) -> dict:
    """The assessment of the benefits engine on what was declared, as an estimate (仅供参考):
    ``{"ok": True, "result": …, "label": …}`` or ``{"ok": False, "error": 中文}``."""
    try:
        result = assessment_run(assessment_input(draft))
    except ValidationError as exc:
        return {"ok": False, "error": "；".join(exc.messages), "note": ESTIMATE_NOTE}
    return {"ok": True, "result": result, "label": CLASSIFICATIONS.get(result["classification"], ""),
            "note": ESTIMATE_NOTE}  # fmt: skip


# Materials the portal writes itself from what was entered (申请书, 收入财产申报表, 授权书)
GENERATED = {"application", "means_declaration", "authorisation"}


# ---------------------------------------------------------------- 授权书
#
# Each member's 授权书 is signed by the member (an adult) or by the guardian (a minor: the applicant).
# Who signs is settled by who is signed in, never by what is typed:
# - the signer is the signed-in citizen: name and the last six of the ID number typed → 本人/监护人;
# - the signer is someone else who confirms with their own phone: a code sent by SMS to the phone the
#   registry holds for them (shown masked, never revealed), typed here by the citizen once the signer
#   tells it → recorded as signed by the signer themself (本人/监护人), by SMS;
# - or the signer confirms in their own portal account (a SignRequest the citizen sends, answered by
#   the citizen bound to the signer's ID number) → signed by the signer themself, in their account;
# - otherwise the citizen may sign in their place → 代为签署 (SignerRole.PROXY): the case then waits
#   at 受理 for the signer's own paper 授权书 (guard ``paper_signatures``).

SIGN_METHODS = {
    "typed": "网上办事大厅电子签署（签署人本人登录，填写姓名和身份证号后六位确认）",
    "sms": "签署人本人手机短信验证码确认（户籍登记手机号 {phone}）",
    "account": "签署人本人登录网上办事大厅账户确认（账户手机号 {phone}）",
    "proxy": "由{agent}在网上代为签署，未经签署人本人确认；须另交签署人本人签字的书面授权书，受理时核验",
}
ROLE_NAMES = {
    SignerRole.SELF: "本人",
    SignerRole.GUARDIAN: "监护人（代未成年人签署）",
    SignerRole.PROXY: "代为签署（非本人）",
}


def _signer_for(data: dict, index: int) -> tuple[dict, dict, str]:
    """(member, signer, role): an adult signs for themself; the applicant signs for a minor as
    guardian (监护人)."""
    members = member_rows(data)
    if not (0 <= index < len(members)):
        raise ValidationError("成员不存在")
    member = members[index]
    if member["adult"] or member["age"] is None:
        return member, data["members"][index], SignerRole.SELF
    applicant = next((m for m in data["members"] if data.get("person_id") and m.get("person_id") == data["person_id"]),
                     data["members"][0])  # fmt: skip
    return member, applicant, SignerRole.GUARDIAN


def _is_citizen(citizen: Citizen, signer: dict) -> bool:
    """Is the signer the signed-in citizen (the bound ID number, never a typed one)?"""
    if citizen.person_id and signer.get("person_id") == citizen.person_id:
        return True
    number = signer.get("id_number") or ""
    return bool(number and citizen.id_number_index) and hmac.compare_digest(id_index(number), citizen.id_number_index)


def _signer_phone(signer: dict) -> str:
    """The signer's mobile as the registry holds it ("" when none or not a mobile). A member the
    applicant typed is found by ID number and name together: an ID number alone never reveals or
    messages a registered person's phone."""
    person = Person.objects.filter(pk=signer["person_id"]).first() if signer.get("person_id") else None
    if person is None:  # a member typed by the applicant: the registry person only if name and ID agree
        person = person_by_id(signer.get("id_number") or "")
        if person is not None and person.name != (signer.get("name") or "").strip():
            person = None
    if person is None or person.death_date is not None:
        return ""
    phone = phone_normalise(person.phone or "")
    return phone if MOBILE.match(phone) else ""


def _code_ref(draft: Draft, index: int, signer: dict) -> str:
    return f"draft:{draft.pk}:{index}:{id_index(signer.get('id_number') or '')[:16]}"


def sign_rows(*, citizen: Citizen, draft: Draft, data: dict | None = None) -> list[dict]:
    """Per member, how the 授权书 can be signed here: ``mine`` (the citizen signs), the signer's
    masked registry phone for a code, whether a code is live, and the signature once made."""
    data = data if data is not None else draft_data(draft)
    signed = data.get("signatures") or {}
    now = timezone.now()
    rows = []
    for m in member_rows(data):
        _, signer, role = _signer_for(data, m["index"])
        mine = _is_citizen(citizen, signer)
        phone = "" if mine else _signer_phone(signer)
        live = bool(phone) and LoginCode.objects.filter(
            phone_index=phone_index_of(phone), purpose="sign", ref=_code_ref(draft, m["index"], signer),
            used_at__isnull=True, expires_at__gt=now, attempts__lt=account.code_max_attempts(),
        ).exists()  # fmt: skip
        sig = signed.get(str(m["index"]))
        asked = None if mine or sig else _sign_request(draft, m["index"], signer)
        rows.append({
            "asked": asked, "declined": bool(asked and asked.agreed is False),
            "m": m, "signed": sig, "signer_name": signer["name"], "guardian": role == SignerRole.GUARDIAN,
            "mine": mine, "phone_masked": mask_phone(phone) if phone else "", "code_live": live,
            "role_name": ROLE_NAMES.get(sig["role"], "") if sig else "",
            "proxy": bool(sig and sig["role"] == SignerRole.PROXY),
        })  # fmt: skip
    return rows


def authorization_pdf(*, member: dict, signer_name: str, role: str, method: str, case_name: str,
                      at: dt.datetime) -> bytes:  # fmt: skip
    """家庭经济状况核对授权书 of one member, signed online; it states how the signature was obtained
    (``method``: typed by the signer signed in, confirmed by SMS to the signer's registry phone, or
    signed by someone else in the signer's place)."""
    local = timezone.localtime(at)
    blocks = [
        Paragraph(
            f"本人自愿申请{case_name}，现授权民政部门及其委托的家庭经济状况核对机构，依法查询、核对本人"
            "（或被监护人）的户籍、收入、财产（存款、理财、证券、保险、住房、车辆、经营主体等）信息，"
            "核对结果仅用于社会救助审核确认。本人承诺所申报的家庭情况真实、完整，如有虚报、隐瞒，愿承担相应责任。"
        ),
        Fields(
            [
                ("被核对人", member["name"]),
                ("身份证号", member["masked"]),
                ("签署人", signer_name),
                ("签署身份", ROLE_NAMES.get(role, role)),
                ("签署方式", method),
                ("签署时间", f"{local:%Y年%m月%d日 %H:%M:%S}"),
            ],
            columns=1,
        ),
    ]
    if role == SignerRole.PROXY:
        blocks.append(Note(f"本授权书不是{member['name']}本人（或监护人）签署，不能作为核对授权。受理时须提交"
                           f"{member['name']}本人（未成年人为监护人）签字的书面授权书。"))  # fmt: skip
    else:
        blocks.append(Note("本授权书由网上办事大厅根据签署人本人的确认生成，与书面签字具有同等效力；"
                           "授权有效期至本次申请办结。"))  # fmt: skip
    return render_pdf(Document(title="家庭经济状况核对授权书", blocks=blocks, issued_on=local.date()))


def _signature_store(*, draft: Draft, data: dict, index: int, member: dict, signer_name: str, role: str,
                     method: str, how: str, phone_masked: str = "") -> Draft:  # fmt: skip
    now = timezone.now()
    ct = CaseType.objects.get(code=draft.case_type)
    pdf = authorization_pdf(member=member, signer_name=signer_name, role=role, method=how, case_name=ct.name, at=now)
    stored = file_store_generated(user=None, data=pdf, name=f"授权书-{member['name']}.pdf",
                                  region_code=data.get("region_code") or "")  # fmt: skip
    data.setdefault("signatures", {})[str(index)] = {
        "file_id": stored.pk, "signer": signer_name, "role": role, "method": method, "at": now.isoformat(),
        "phone_masked": phone_masked,
    }  # fmt: skip
    draft_write(draft, data)
    short = {"typed": "本人登录填写确认", "sms": f"本人手机短信验证码确认（{phone_masked}）",
             "account": f"本人登录账户确认（{phone_masked}）", "proxy": "代为签署，待交本人书面授权书"}[method]  # fmt: skip
    audit_record(action="sign", object_type="portal.draft", object_id=draft.pk, region_code=data.get("region_code") or "",
                 summary=f"网上签署授权书：{member['name']}，签署人 {signer_name}（{ROLE_NAMES.get(role, role)}），{short}")  # fmt: skip
    return draft


def _refuse_if_signed(data: dict, index: int) -> None:
    if str(index) in (data.get("signatures") or {}):
        raise ValidationError("该成员的授权书已签署")


def draft_sign(*, citizen: Citizen, draft: Draft, index: int, name: str, id6: str, agree: bool) -> Draft:
    """The signed-in citizen signs their own 授权书 (or, as guardian, a minor's): they type their name
    and the last six characters of their ID number and tick the box. Nobody signs as someone else
    here: another member confirms with their own phone (:func:`draft_sign_code_confirm`) or is
    signed for (:func:`draft_sign_proxy`)."""
    data = draft_data(draft)
    member, signer, role = _signer_for(data, index)
    _refuse_if_signed(data, index)
    if not _is_citizen(citizen, signer):
        raise ValidationError({"id6": f"{signer['name']}须本人确认授权：请向其登记的手机发送验证码，或选择代为签署"})
    errors = {}
    if not agree:
        errors["agree"] = "请勾选“本人已阅读并同意授权”"
    ok_name = hmac.compare_digest((name or "").strip().encode(), signer["name"].encode())
    ok_id = hmac.compare_digest((id6 or "").strip().upper().encode(), signer["id_number"][-6:].upper().encode())
    if not (ok_name and ok_id):
        errors["id6"] = "签署人姓名或身份证号后六位不正确"
    if errors:
        raise ValidationError(errors)
    return _signature_store(draft=draft, data=data, index=index, member=member, signer_name=signer["name"],
                            role=role, method="typed", how=SIGN_METHODS["typed"])  # fmt: skip


def draft_sign_code_send(*, citizen: Citizen, draft: Draft, index: int, ip: str = "") -> str:
    """Send the signer a code by SMS to the phone the registry holds for them, to confirm the 授权书
    themself; the masked phone. Under the portal's code limits (:class:`~.services.Throttled`)."""
    data = draft_data(draft)
    member, signer, role = _signer_for(data, index)
    _refuse_if_signed(data, index)
    if _is_citizen(citizen, signer):
        raise ValidationError("这是您本人的授权书，请直接填写姓名和身份证号后六位签署")
    phone = _signer_phone(signer)
    if not phone:
        raise ValidationError(f"户籍登记中没有{signer['name']}的手机号，无法发送验证码；可选择代为签署，"
                              f"受理时提交{signer['name']}本人签字的书面授权书")  # fmt: skip
    ct = CaseType.objects.get(code=draft.case_type)
    minutes = int(account.code_ttl().total_seconds() // 60)
    whom = "您" if role == SignerRole.SELF else f"您作为监护人代{member['name']}"
    sent = account.code_send(
        phone=phone, ip=ip, purpose="sign", ref=_code_ref(draft, index, signer), subject="家庭经济状况核对授权确认",
        body=lambda code: (
            f"{citizen.name}正在网上办事大厅申请{ct.name}，需要{whom}授权民政部门核对家庭经济状况（户籍、收入、财产）。"
            f"同意的，请把验证码 {code} 告诉{citizen.name}，{minutes} 分钟内有效；不同意或不知情的，请不要告诉任何人。"
        ),
        related_type=account.SIGN_MESSAGE_TYPE,
    )  # fmt: skip
    audit_record(action="sign_code", object_type="portal.draft", object_id=draft.pk,
                 region_code=data.get("region_code") or "",
                 summary=f"发送授权确认验证码给{signer['name']}（{sent.phone_masked}），为{member['name']}的授权书")  # fmt: skip
    return sent.phone_masked


def draft_sign_code_confirm(*, citizen: Citizen, draft: Draft, index: int, code: str, agree: bool) -> Draft:
    """The code the signer received, typed here: the 授权书 is recorded as signed by the signer
    themself (本人, or 监护人 for a minor), confirmed by SMS to their registry phone."""
    data = draft_data(draft)
    member, signer, role = _signer_for(data, index)
    _refuse_if_signed(data, index)
    phone = "" if _is_citizen(citizen, signer) else _signer_phone(signer)
    if not phone:
        raise ValidationError({"code": "该成员不能用短信验证码确认"})
    if not agree:
        raise ValidationError({"agree": f"请勾选“{signer['name']}已阅读授权内容并同意”"})
    masked = mask_phone(phone)
    account.code_check(phone_index=phone_index_of(phone), code=code, purpose="sign",
                       ref=_code_ref(draft, index, signer), masked=masked)  # fmt: skip
    return _signature_store(draft=draft, data=data, index=index, member=member, signer_name=signer["name"],
                            role=role, method="sms", how=SIGN_METHODS["sms"].format(phone=masked),
                            phone_masked=masked)  # fmt: skip


def _sign_request(draft: Draft, index: int, signer: dict) -> SignRequest | None:
    """The latest request to this member as they are now in the draft (None when never asked)."""
    return (
        SignRequest.objects.filter(draft=draft, index=index, ref=_code_ref(draft, index, signer))
        .order_by("-pk")
        .first()
    )


def draft_sign_ask(*, citizen: Citizen, draft: Draft, index: int) -> SignRequest:
    """Ask the signer to confirm in their own portal account: they see the request once they sign in
    and bind their real name (already or later). Asking again replaces an unanswered request."""
    data = draft_data(draft)
    member, signer, _role = _signer_for(data, index)
    _refuse_if_signed(data, index)
    if _is_citizen(citizen, signer):
        raise ValidationError("这是您本人的授权书，请直接填写姓名和身份证号后六位签署")
    if not signer.get("id_number"):
        raise ValidationError(f"缺少{signer['name']}的身份证号，不能请其在账户中确认")
    ref = _code_ref(draft, index, signer)
    SignRequest.objects.filter(draft=draft, index=index, answered_at__isnull=True).delete()
    req = SignRequest.objects.create(draft=draft, index=index, ref=ref, signer_index=id_index(signer["id_number"]))
    audit_record(action="sign_ask", object_type="portal.draft", object_id=draft.pk,
                 region_code=data.get("region_code") or "",
                 summary=f"请{signer['name']}登录本人账户确认{member['name']}的授权书")  # fmt: skip
    return req


def sign_requests_for(citizen: Citizen) -> list[dict]:
    """Unanswered requests to this (bound) citizen to confirm a 授权书, with what they are asked."""
    if not is_bound(citizen):
        return []
    out = []
    rows = SignRequest.objects.filter(signer_index=citizen.id_number_index, answered_at__isnull=True)
    for req in rows.select_related("draft", "draft__citizen").order_by("created_at"):
        data = draft_data(req.draft)
        try:
            member, signer, role = _signer_for(data, req.index)
        except ValidationError:
            continue
        if req.ref != _code_ref(req.draft, req.index, signer) or str(req.index) in (data.get("signatures") or {}):
            continue  # the draft changed since, or the 授权书 is signed already
        if (signer.get("name") or "").strip() != citizen.name:
            continue  # asked by ID number under another name: never shown as this person's to sign
        ct = CaseType.objects.filter(code=req.draft.case_type).first()
        out.append({"req": req, "member": member, "guardian": role == SignerRole.GUARDIAN,
                    "applicant": req.draft.citizen.name, "applicant_phone": req.draft.citizen.phone_masked,
                    "item": ct.name if ct else ""})  # fmt: skip
    return out


def sign_request_answer(*, citizen: Citizen, pk: int, agree: bool) -> SignRequest:
    """The signer answers in their own account: agreed, the 授权书 is recorded as signed by them
    (本人, or 监护人 for a minor), confirmed in their account; declined, the applicant sees it."""
    row = next((r for r in sign_requests_for(citizen) if r["req"].pk == pk), None)
    if row is None:
        raise Http404("没有待您确认的授权")
    req, member = row["req"], row["member"]
    draft = req.draft
    data = draft_data(draft)
    _, signer, role = _signer_for(data, req.index)
    req.answered_at, req.agreed = timezone.now(), agree
    with transaction.atomic():
        req.save(update_fields=["answered_at", "agreed"])
        if agree:
            _signature_store(draft=draft, data=data, index=req.index, member=member, signer_name=signer["name"],
                             role=role, method="account", how=SIGN_METHODS["account"].format(phone=citizen.phone_masked),
                             phone_masked=citizen.phone_masked)  # fmt: skip
        else:
            audit_record(action="sign_declined", object_type="portal.draft", object_id=draft.pk,
                         region_code=data.get("region_code") or "",
                         summary=f"{signer['name']}在本人账户中不同意{member['name']}的授权书")  # fmt: skip
    return req


def draft_sign_proxy(*, citizen: Citizen, draft: Draft, index: int, agree: bool) -> Draft:
    """The citizen signs in the signer's place (代为签署): recorded as such, and the case waits at
    受理 for the signer's own signed paper 授权书."""
    data = draft_data(draft)
    member, signer, _role = _signer_for(data, index)
    _refuse_if_signed(data, index)
    if _is_citizen(citizen, signer):
        raise ValidationError("这是您本人的授权书，请直接填写姓名和身份证号后六位签署")
    if not agree:
        raise ValidationError({"proxy": f"请勾选“我知道须补交{signer['name']}本人签字的书面授权书”"})
    agent = citizen.name or citizen.phone_masked
    return _signature_store(draft=draft, data=data, index=index, member=member, signer_name=agent,
                            role=SignerRole.PROXY, method="proxy", how=SIGN_METHODS["proxy"].format(agent=agent))  # fmt: skip


def unsigned(data: dict) -> list[dict]:
    signed = data.get("signatures") or {}
    return [m for m in member_rows(data) if str(m["index"]) not in signed]


def proxied(data: dict) -> list[dict]:
    """Members whose 授权书 was signed in their place (代为签署): their own paper is due at 受理."""
    signed = data.get("signatures") or {}
    return [m for m in member_rows(data) if (signed.get(str(m["index"])) or {}).get("role") == SignerRole.PROXY]


# ---------------------------------------------------------------- submission


def _declared(draft: Draft, data: dict, estimate: dict) -> dict:
    return {
        "members": [
            {
                "name": m["name"],
                "relation": m["relation"],
                "id_number_masked": m["masked"],
                "person_id": m.get("person_id"),
                "age": m["age"],
            }
            for m in member_rows(data)
        ],
        "incomes": data.get("incomes") or {},
        "expenses": data.get("expenses") or {},
        "property": data.get("property") or {},
        "address": data.get("address") or "",
        "estimate": estimate["result"]["classification"] if estimate.get("ok") else "",
        "authorizations": [],
    }


def _application_pdf(ct: CaseType, data: dict, citizen: Citizen, at: dt.datetime) -> bytes:
    members = member_rows(data)
    blocks = [
        Paragraph(f"本人（家庭）因生活困难，申请{ct.name}。以下情况由申请人在网上办事大厅填报，承诺真实有效。"),
        Table(["姓名", "与户主关系", "身份证号", "年龄"],
              [[m["name"], m["relation_label"], m["masked"], m["age"]] for m in members]),
        Fields([("居住地址", data.get("address") or "—"), ("提交人", f"{citizen.name}（{citizen.phone_masked}）"),
                ("提交时间", f"{timezone.localtime(at):%Y年%m月%d日 %H:%M}")], columns=1),
    ]  # fmt: skip
    return render_pdf(Document(title=f"{ct.name}书（网上申请）", blocks=blocks, issued_on=timezone.localdate()))


def _means_pdf(ct: CaseType, data: dict) -> bytes:
    members = member_rows(data)
    rows = []
    for m in members:
        row = (data.get("incomes") or {}).get(str(m["index"]), {})
        rows.append([m["name"], *[row.get(k, "0") for k, _ in INCOME_KINDS]])
    exp = data.get("expenses") or {}
    prop = data.get("property") or {}
    blocks = [
        Paragraph("一、家庭成员年收入（元）"),
        Table(["姓名", *[label for _, label in income_kinds(data)]], rows),
        Paragraph("二、家庭年刚性支出（元）"),
        Fields([(label, exp.get(k, "0")) for k, label in EXPENSE_KINDS]),
        Paragraph("三、家庭财产"),
        Fields([(label, prop.get(k, 0)) for k, label, _ in PROPERTY_FIELDS]),
        Note("申报人承诺以上情况真实完整；民政部门将通过家庭经济状况核对和入户调查核实。"),
    ]
    return render_pdf(Document(title="家庭收入和财产申报表", blocks=blocks, issued_on=timezone.localdate()))


def _household_for(data: dict, citizen: Citizen) -> tuple[Household, Person]:
    """The registry household and applicant: the known household, or a new one with its persons
    created (a person already in the registry without a household is used as found)."""
    if data.get("household_id"):
        household = Household.objects.get(pk=data["household_id"])
        applicant_id = data.get("person_id") or data["members"][0].get("person_id")
        applicant = Person.objects.get(pk=applicant_id)
        return household, applicant
    members = [
        {"relation": m["relation"], "person": Person.objects.filter(pk=m["person_id"]).first() if m.get("person_id")
         else None, "id_number": m["id_number"], "fields": {"name": m["name"], "id_number": m["id_number"]}}
        for m in data["members"]
    ]  # fmt: skip
    household = household_register(
        user=None, data={"region_code": data["region_code"], "hukou_type": data["hukou_type"],
                         "address": data.get("address", "")},
        members=members,
    )  # fmt: skip
    return household, household.head


def submit_check(*, citizen: Citizen, draft: Draft, data: dict, case_type: CaseType) -> None:
    """Refusals before anything is written: members and village entered, no second running
    application of the item for the household, every member's 授权书 signed."""
    if not data.get("members") or not data.get("region_code"):
        raise ValidationError("请先填写家庭成员和所在村（社区）")
    if data.get("household_id"):
        duplicate_check(citizen=citizen, case_type=case_type,
                        household=Household.objects.get(pk=data["household_id"]))  # fmt: skip
    if missing := unsigned(data):
        raise ValidationError("以下成员尚未签署授权书：" + "、".join(m["name"] for m in missing))


def submit(*, citizen: Citizen, draft: Draft, data: dict, case_type: CaseType) -> Case:
    """Inside the portal's submission transaction: household and persons (when unknown), the case
    (channel portal) with what was declared, the materials (申请书, 申报表, uploads, 授权书), the
    members whose 授权书 was signed in their place (``paper_signatures``)."""
    ct = case_type
    estimate = draft_estimate(draft)
    now = timezone.now()
    signed = {int(i): (s, StoredFile.objects.filter(pk=s["file_id"]).first())
              for i, s in (data.get("signatures") or {}).items()}  # fmt: skip
    members = member_rows(data)
    who = citizen.name or citizen.phone_masked
    household, applicant = _household_for(data, citizen)
    declared = _declared(draft, data, estimate)
    case = case_open(user=None, case_type=ct.code, region_code=household.region_code, household=household,
                     applicant=applicant, channel="portal", data={"declared": declared})  # fmt: skip
    have = {f["code"] for f in draft.files or []}
    if "application" not in have:
        material_add(user=None, case=case, code="application", data=_application_pdf(ct, data, citizen, now),
                     name=f"{case.number}-申请书.pdf", note="网上申请生成", citizen_name=who)  # fmt: skip
    if "means_declaration" not in have and any(m.code == "means_declaration" for m in case.spec.materials):
        material_add(user=None, case=case, code="means_declaration", data=_means_pdf(ct, data),
                     name=f"{case.number}-收入财产申报表.pdf", note="网上申报生成", citizen_name=who)  # fmt: skip
    uploads_attach(case=case, draft=draft, who=who)
    ids = {m.pk: m for m in household.memberships.filter(valid_to__isnull=True).select_related("person")}
    by_index = _persons_by_index(data, ids.values())
    paper = []
    for i, (sig, stored) in sorted(signed.items()):
        if stored is None:
            continue
        method = sig.get("method") or "typed"
        how = {"typed": "签署", "sms": f"签署，手机短信验证码确认 {sig.get('phone_masked', '')}",
               "account": f"签署，本人账户确认 {sig.get('phone_masked', '')}",
               "proxy": f"{sig['signer']}代为签署，待交本人书面授权书"}[method]  # fmt: skip
        role = ROLE_NAMES.get(sig["role"], "").split("（")[0] if sig["role"] != SignerRole.PROXY else ""
        m = material_add(user=None, case=case, code="authorisation", data=file_open(stored), name=stored.name,
                         note=f"{members[i]['name']} 授权书（{role}{how}）", citizen_name=who)  # fmt: skip
        declared["authorizations"].append({
            "person_id": by_index.get(i), "signer_name": sig["signer"], "signer_role": sig["role"],
            "method": method, "signed_at": sig["at"], "file_id": m.file_id, "material_id": m.pk,
        })  # fmt: skip
        if sig["role"] == SignerRole.PROXY:
            paper.append({"person_id": by_index.get(i), "name": members[i]["name"], "code": "authorisation"})
    case.data = {**case.data, "declared": declared, **({"paper_signatures": paper} if paper else {})}
    case.save(update_fields=["data"])
    return case


def _persons_by_index(data: dict, memberships) -> dict[int, int]:
    """Member index in the draft → registry person id (by person id, else by ID number)."""
    by_index = {}
    for i, m in enumerate(data["members"]):
        if m.get("person_id"):
            by_index[i] = m["person_id"]
            continue
        for ms in memberships:
            if ms.person.id_number_index == id_index(m["id_number"]):
                by_index[i] = ms.person_id
    return by_index

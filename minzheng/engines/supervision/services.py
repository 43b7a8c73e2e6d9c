"""Writes of the supervision engine. Each checks the user's grant over the entity's region
(``accounts.scoping.permission_require``), writes the current row and its history in one
transaction, and leaves an audit row (ADR 0019). Messages are in Chinese.

The hazard state machine is here and nowhere else: 待整改 → 整改已提交 (:func:`rectification_submit`)
→ 已销号 (:func:`reinspection_record`, passed) | 退回整改 (failed, then submitted again). There is no
service that sets a hazard's state otherwise.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from minzheng.foundation.accounts.scoping import has_permission, permission_require
from minzheng.foundation.audit.services import Entry, audit_record, audit_record_many
from minzheng.foundation.entities.models import Entity, EntityStatus
from minzheng.foundation.files.models import StoredFile
from minzheng.foundation.files.services import file_store, file_store_generated
from minzheng.foundation.parameters.standards import MissingStandard, standards_for
from minzheng.foundation.text import clean_text

from . import kinds as kinds_mod
from .limits import ESCALATION_DAYS, RECTIFICATION_DAYS
from .models import (
    AttributeValue,
    Channel,
    Hazard,
    HazardEvent,
    HazardEventKind,
    HazardLevel,
    HazardState,
    Inspection,
    InspectionResult,
    InspectionState,
    Outcome,
    Permit,
    Purpose,
    Rectification,
    Reinspection,
    StatusChange,
    Supervised,
    SupervisionStatus,
    Template,
    TemplateItem,
    TemplateSection,
)

PHOTO_KINDS = ("jpeg", "png")
PHOTOS_MAX = 9  # per item, rectification or re-inspection

# status → the statuses it may move to; 注销 ends supervision
TRANSITIONS: dict[str, set[str]] = {
    SupervisionStatus.PREPARING: {SupervisionStatus.OPERATING, SupervisionStatus.CLOSED},
    SupervisionStatus.OPERATING: {SupervisionStatus.SUSPENDED, SupervisionStatus.CLOSED},
    SupervisionStatus.SUSPENDED: {SupervisionStatus.OPERATING, SupervisionStatus.CLOSED},
    SupervisionStatus.CLOSED: set(),
}

# hazard state → the states a move may reach, and by which service (for the messages)
HAZARD_TRANSITIONS: dict[str, set[str]] = {
    HazardState.OPEN: {HazardState.SUBMITTED},
    HazardState.SUBMITTED: {HazardState.CLOSED, HazardState.RETURNED},
    HazardState.RETURNED: {HazardState.SUBMITTED},
    HazardState.CLOSED: set(),
}


def _actor(user):
    return user if user is not None and getattr(user, "pk", None) else None


def _today() -> dt.date:
    return timezone.localdate()


def _text(value, limit: int) -> str:
    return clean_text(value or "").strip()[:limit]


def _day(value, field: str, label: str) -> dt.date:
    if value is None or value == "":
        return _today()
    if isinstance(value, dt.datetime):
        value = value.date()
    if not isinstance(value, dt.date):
        try:
            value = dt.date.fromisoformat(str(value))
        except ValueError:
            raise ValidationError({field: f"{label}应为日期（如 2026-01-31）"}) from None
    if value > _today():
        raise ValidationError({field: f"{label}不能晚于今天"})
    return value


def _locked(model, obj):
    return model.objects.select_for_update().get(pk=obj.pk)


def _label(supervised: Supervised) -> str:
    entity = supervised.entity
    return f"{entity.name}（{entity.uscc}）"


# ---------------------------------------------------------------------------------------------------
# Regulated entities and their attributes


@transaction.atomic
def supervised_register(
    *,
    user,
    entity: Entity,
    kind: str,
    status: str = SupervisionStatus.PREPARING,
    attributes: dict | None = None,
    effective_on=None,
    reason: str = "",
) -> Supervised:
    """Put a registered legal entity under supervision as a declared ``kind`` (with its first
    status, 筹建 by default, and attributes). ``supervision.manage`` over the entity's region."""
    permission_require(user, "supervision.manage", entity.region_code)
    kind_def = kinds_mod.kind_get(kind)
    if status not in (SupervisionStatus.PREPARING, SupervisionStatus.OPERATING):
        raise ValidationError({"status": "纳入监管时的状态应为「筹建」或「运营」"})
    if entity.status in (EntityStatus.REVOKED, EntityStatus.DEREGISTERED):
        raise ValidationError({"entity": f"该组织已{entity.get_status_display()}，不能纳入监管"})
    if Supervised.objects.filter(entity=entity, kind=kind).exists():
        raise ValidationError({"kind": f"该组织已作为「{kind_def.label}」纳入监管"})
    on = _day(effective_on, "effective_on", "生效日期")
    values = kinds_mod.attributes_clean(kind_def, attributes or {}, partial=status != SupervisionStatus.OPERATING)
    supervised = Supervised.objects.create(
        entity=entity, kind=kind, status=status, status_since=on, created_by=_actor(user)
    )
    StatusChange.objects.create(
        supervised=supervised, status_to=status, effective_on=on, reason=_text(reason, 500), actor=_actor(user)
    )
    changes = _attributes_write(user, supervised, kind_def, values, on, reason="纳入监管")
    audit_record(
        action="supervision.register",
        object_type="supervision.supervised",
        object_id=supervised.pk,
        region_code=entity.region_code,
        summary=f"纳入监管：{_label(supervised)}，类别「{kind_def.label}」，状态「{SupervisionStatus(status).label}」",
        changes={"kind": kind, "status": status, "attributes": changes},
    )
    return supervised


def _current_values(supervised: Supervised) -> dict[str, AttributeValue]:
    return {row.code: row for row in supervised.attribute_values.filter(superseded_at__isnull=True)}


def _attributes_write(user, supervised, kind_def, values: dict, on: dt.date, reason: str) -> dict:
    """Close the current row of every changed attribute and add the new value; ``{code: [before,
    after]}`` as people read them."""
    current = _current_values(supervised)
    now = timezone.now()
    changes = {}
    for code, value in values.items():
        a = kind_def.attribute(code)
        row = current.get(code)
        before = row.value if row is not None else None
        if before == value and (row is None or row.type == a.type):
            continue
        if row is not None:
            AttributeValue.objects.filter(pk=row.pk).update(superseded_at=now)
        if value is not None:
            column = {"int": "value_int", "decimal": "value_decimal", "date": "value_date", "bool": "value_bool"}
            AttributeValue.objects.create(
                supervised=supervised,
                code=code,
                type=a.type,
                **{column.get(a.type, "value_text"): value},
                effective_on=on,
                reason=reason,
                set_by=_actor(user),
            )
        changes[code] = [a.display(before) or None, a.display(value) or None]
    return changes


@transaction.atomic
def attributes_set(*, user, supervised: Supervised, values: dict, reason: str = "", effective_on=None) -> dict:
    """Set attributes of a supervised entity (``{code: value}``; ``None`` or "" clears one), each
    checked against its kind's declaration; the previous values stay as history. Returns the changes
    ``{code: [before, after]}``; a call that changes nothing writes nothing."""
    supervised = _locked(Supervised, supervised)
    permission_require(user, "supervision.manage", supervised.entity.region_code)
    if supervised.status == SupervisionStatus.CLOSED:
        raise ValidationError("该监管对象已注销，不能变更属性")
    kind_def = kinds_mod.kind_get(supervised.kind)
    cleaned = kinds_mod.attributes_clean(kind_def, values)
    if supervised.status == SupervisionStatus.OPERATING:
        missing = [a.label for a in kind_def.attributes if a.required and a.code in cleaned and cleaned[a.code] is None]
        if missing:
            raise ValidationError(f"运营中的监管对象不能清空必填属性：{'、'.join(missing)}")
    on = _day(effective_on, "effective_on", "生效日期")
    reason = _text(reason, 500)
    changes = _attributes_write(user, supervised, kind_def, cleaned, on, reason)
    if changes:
        audit_record(
            action="supervision.attributes",
            object_type="supervision.supervised",
            object_id=supervised.pk,
            region_code=supervised.entity.region_code,
            summary=f"变更属性：{_label(supervised)}" + (f"：{reason}" if reason else ""),
            changes=changes,
        )
    return changes


@transaction.atomic
def supervised_status_set(*, user, supervised: Supervised, status: str, reason: str, effective_on=None) -> Supervised:
    """Move a supervised entity along :data:`TRANSITIONS` with the reason and the day it takes effect.
    Starting to operate needs every required attribute of its kind."""
    supervised = _locked(Supervised, supervised)
    permission_require(user, "supervision.manage", supervised.entity.region_code)
    if status not in SupervisionStatus.values:
        raise ValidationError({"status": "状态无效"})
    if status not in TRANSITIONS[supervised.status]:
        raise ValidationError(
            {
                "status": f"监管对象当前为「{supervised.get_status_display()}」，"
                f"不能变为「{SupervisionStatus(status).label}」"
            }
        )
    reason = _text(reason, 500)
    if not reason:
        raise ValidationError({"reason": "请填写状态变更的原因"})
    on = _day(effective_on, "effective_on", "生效日期")
    if on < supervised.status_since:
        raise ValidationError(
            {"effective_on": f"生效日期不能早于当前状态的起始日期 {supervised.status_since:%Y-%m-%d}"}
        )
    if status == SupervisionStatus.OPERATING:
        kind_def = kinds_mod.kind_get(supervised.kind)
        current = _current_values(supervised)
        missing = [a.label for a in kind_def.attributes if a.required and a.code not in current]
        if missing:
            raise ValidationError({"status": f"开始运营前请先填写：{'、'.join(missing)}"})
    before = supervised.status
    supervised.status, supervised.status_since = status, on
    supervised.save(update_fields=["status", "status_since"])
    StatusChange.objects.create(
        supervised=supervised, status_from=before, status_to=status, effective_on=on, reason=reason, actor=_actor(user)
    )
    audit_record(
        action="supervision.status",
        object_type="supervision.supervised",
        object_id=supervised.pk,
        region_code=supervised.entity.region_code,
        summary=f"{_label(supervised)} {SupervisionStatus(before).label} → {SupervisionStatus(status).label}：{reason}",
        changes={"status": [before, status], "effective_on": on.isoformat(), "reason": reason},
    )
    return supervised


@transaction.atomic
def permit_record(
    *,
    user,
    supervised: Supervised,
    permit_type: str,
    issued_on,
    number: str = "",
    issued_by: str = "",
    valid_until=None,
    file: StoredFile | None = None,
) -> Permit:
    """Record a filing or licence of a declared type, with its dates (and a scan already stored)."""
    permission_require(user, "supervision.manage", supervised.entity.region_code)
    kind_def = kinds_mod.kind_get(supervised.kind)
    ptype = kind_def.permit(permit_type)
    issued = _day(issued_on, "issued_on", "发证（备案）日期")
    until = None
    if valid_until not in (None, ""):
        until = valid_until if isinstance(valid_until, dt.date) else None
        if until is None:
            try:
                until = dt.date.fromisoformat(str(valid_until))
            except ValueError:
                raise ValidationError({"valid_until": "有效期应为日期"}) from None
        if until < issued:
            raise ValidationError({"valid_until": "有效期不能早于发证（备案）日期"})
    elif ptype.expires:
        raise ValidationError({"valid_until": f"请填写{ptype.label}的有效期"})
    permit = Permit.objects.create(
        supervised=supervised,
        permit_type=permit_type,
        category=ptype.category,
        number=_text(number, 100),
        issued_by=_text(issued_by, 100),
        issued_on=issued,
        valid_until=until,
        file=file,
        recorded_by=_actor(user),
    )
    audit_record(
        action="supervision.permit",
        object_type="supervision.permit",
        object_id=permit.pk,
        region_code=supervised.entity.region_code,
        summary=f"{_label(supervised)} 登记{ptype.label}" + (f"（{permit.number}）" if permit.number else ""),
        changes={
            "permit_type": permit_type,
            "number": permit.number,
            "issued_on": issued.isoformat(),
            "valid_until": until.isoformat() if until else None,
        },
    )
    return permit


@transaction.atomic
def permit_end(*, user, permit: Permit, reason: str, ended_on=None) -> Permit:
    """End a filing or licence (revoked, cancelled, replaced) with the day and the reason."""
    permit = _locked(Permit, permit)
    supervised = permit.supervised
    permission_require(user, "supervision.manage", supervised.entity.region_code)
    if permit.ended_on is not None:
        raise ValidationError("该证照已终止")
    reason = _text(reason, 500)
    if not reason:
        raise ValidationError({"reason": "请填写终止原因"})
    on = _day(ended_on, "ended_on", "终止日期")
    if on < permit.issued_on:
        raise ValidationError({"ended_on": "终止日期不能早于发证（备案）日期"})
    permit.ended_on, permit.end_reason = on, reason
    permit.save(update_fields=["ended_on", "end_reason"])
    audit_record(
        action="supervision.permit_end",
        object_type="supervision.permit",
        object_id=permit.pk,
        region_code=supervised.entity.region_code,
        summary=f"{_label(supervised)} 终止证照 {permit.number or permit.permit_type}：{reason}",
        changes={"ended_on": on.isoformat(), "reason": reason},
    )
    return permit


# ---------------------------------------------------------------------------------------------------
# Checklists


def _item_clean(raw: dict, where: str) -> dict:
    code = _text(raw.get("code"), 40)
    text = _text(raw.get("text"), 500)
    basis = _text(raw.get("legal_basis"), 500)
    if not code or not text:
        raise ValidationError(f"{where}：检查项目须有代码和检查内容")
    if not basis:
        raise ValidationError(f"{where}（{code}）：请填写法律依据")
    try:
        weight = Decimal(str(raw.get("weight", "1")))
    except ArithmeticError:
        raise ValidationError(f"{where}（{code}）：分值应为数值") from None
    if not weight.is_finite() or weight < 0 or weight >= 100000:
        raise ValidationError(f"{where}（{code}）：分值应为 0 到 99999 之间的数值")
    hazard = bool(raw.get("hazard_on_fail"))
    level = raw.get("hazard_level") or ""
    if hazard and level not in HazardLevel.values:
        raise ValidationError(f"{where}（{code}）：不符合即为隐患的项目须注明隐患等级（一般/重大）")
    if not hazard and level:
        raise ValidationError(f"{where}（{code}）：不构成隐患的项目不能注明隐患等级")
    return {"code": code, "text": text, "legal_basis": basis, "weight": weight, "hazard_on_fail": hazard,
            "hazard_level": level}  # fmt: skip


@transaction.atomic
def template_create(
    *,
    user,
    kind: str,
    purpose: str,
    code: str,
    name: str,
    effective_from,
    sections: Iterable[dict],
    source_document: str = "",
) -> Template:
    """A new version of the inspection template ``code`` (unpublished): ``sections`` are ``{"title",
    "items": [{"code", "text", "legal_basis", "weight", "hazard_on_fail", "hazard_level"}]}``."""
    permission_require(user, "supervision.configure", None, message="无权配置检查表")
    kinds_mod.kind_get(kind)
    if purpose not in Purpose.values:
        raise ValidationError({"purpose": "检查类型无效"})
    code, name = _text(code, 40), _text(name, 200)
    if not code or not name:
        raise ValidationError("检查表须有代码和名称")
    other = Template.objects.filter(code=code).exclude(kind=kind, purpose=purpose).first()
    if other is not None:
        raise ValidationError({"code": f"代码「{code}」已用于另一类别或检查类型的检查表"})
    if not isinstance(effective_from, dt.date):
        try:
            effective_from = dt.date.fromisoformat(str(effective_from))
        except ValueError:
            raise ValidationError({"effective_from": "启用日期应为日期"}) from None
    sections = list(sections)
    if not sections:
        raise ValidationError("检查表至少要有一个章节")
    item_codes: set[str] = set()
    cleaned = []
    for s_no, section in enumerate(sections, 1):
        title = _text(section.get("title"), 200)
        if not title:
            raise ValidationError(f"第{s_no}章须有标题")
        items = [_item_clean(raw, f"第{s_no}章第{i}项") for i, raw in enumerate(section.get("items") or [], 1)]
        if not items:
            raise ValidationError(f"第{s_no}章「{title}」没有检查项目")
        for item in items:
            if item["code"] in item_codes:
                raise ValidationError(f"检查项目代码「{item['code']}」重复")
            item_codes.add(item["code"])
        cleaned.append((title, items))
    version = (Template.objects.filter(code=code).aggregate(v=Max("version"))["v"] or 0) + 1
    template = Template.objects.create(
        kind=kind, purpose=purpose, code=code, version=version, name=name, effective_from=effective_from,
        source_document=_text(source_document, 200), created_by=_actor(user),
    )  # fmt: skip
    for s_no, (title, items) in enumerate(cleaned, 1):
        section = TemplateSection.objects.create(template=template, order=s_no, title=title)
        TemplateItem.objects.bulk_create(
            TemplateItem(section=section, order=i, **item) for i, item in enumerate(items, 1)
        )
    audit_record(
        action="supervision.template_create",
        object_type="supervision.template",
        object_id=template.pk,
        summary=f"检查表「{name}」第{version}版（{len(item_codes)} 项）",
        changes={"kind": kind, "purpose": purpose, "code": code, "version": version, "items": sorted(item_codes)},
    )
    return template


@transaction.atomic
def template_publish(*, user, template: Template) -> Template:
    """Publish a template version: from its effective day it is the one inspections of its kind and
    purpose use; it is never edited again."""
    permission_require(user, "supervision.configure", None, message="无权配置检查表")
    template = _locked(Template, template)
    if template.published:
        raise ValidationError("该检查表已发布")
    template.published = True
    template.save(update_fields=["published"])
    audit_record(
        action="supervision.template_publish",
        object_type="supervision.template",
        object_id=template.pk,
        summary=f"发布检查表「{template.name}」第{template.version}版，{template.effective_from:%Y-%m-%d} 起启用",
    )
    return template


# ---------------------------------------------------------------------------------------------------
# Inspections


def _inspector_check(user, region_code: str) -> None:
    permission_require(user, "supervision.inspect", region_code, message="无权在该区划实施监督检查")


def _may_record(user, inspection: Inspection) -> None:
    _inspector_check(user, inspection.region_code)
    if user is None or user.is_superuser:
        return
    if user.pk != inspection.lead_inspector_id and not inspection.inspectors.filter(pk=user.pk).exists():
        raise PermissionDenied("只有本次检查的检查人员可以记录检查结果")


@transaction.atomic
def inspection_start(
    *,
    user,
    supervised: Supervised,
    purpose: str,
    inspected_on=None,
    template: Template | None = None,
    inspectors: Iterable = (),
):
    """Open an inspection of a supervised entity (ad hoc, or for a draw plan's pair: the plan's
    service passes its inspectors) along the template of its kind and purpose in force that day.
    ``user`` leads it; ``inspectors`` are the others (each must hold ``supervision.inspect`` there)."""
    region = supervised.entity.region_code
    _inspector_check(user, region)
    if purpose not in Purpose.values:
        raise ValidationError({"purpose": "检查类型无效"})
    if supervised.status == SupervisionStatus.CLOSED:
        raise ValidationError("该监管对象已注销，不能检查")
    on = _day(inspected_on, "inspected_on", "检查日期")
    if template is None:
        from .selectors import template_for

        template = template_for(kind=supervised.kind, purpose=purpose, on=on)
        if template is None:
            raise ValidationError(
                {
                    "template": f"「{kinds_mod.kind_get(supervised.kind).label}」没有 {on:%Y-%m-%d} 可用的"
                    f"「{Purpose(purpose).label}」检查表，请先配置并发布"
                }
            )
    elif not template.published or template.kind != supervised.kind or template.purpose != purpose:
        raise ValidationError({"template": "所选检查表与检查对象的类别或检查类型不符，或尚未发布"})
    others = [u for u in inspectors if u is not None and u.pk != getattr(user, "pk", None)]
    for other in others:
        if not has_permission(other, "supervision.inspect", region):
            raise ValidationError({"inspectors": f"{other} 无该区划的检查权限"})
    if user is None and not others:
        raise ValidationError({"inspectors": "请指定检查人员"})
    lead = user if user is not None else others.pop(0)
    inspection = Inspection.objects.create(
        supervised=supervised, template=template, purpose=purpose, region_code=region, inspected_on=on,
        lead_inspector=lead,
    )  # fmt: skip
    if others:
        inspection.inspectors.set(others)
    audit_record(
        action="supervision.inspection_start",
        object_type="supervision.inspection",
        object_id=inspection.pk,
        region_code=region,
        summary=f"开始{Purpose(purpose).label}：{_label(supervised)}，检查表「{template.name}」第{template.version}版",
        changes={"inspected_on": on.isoformat(), "inspectors": [lead.username, *(u.username for u in others)]},
    )
    return inspection


def photo_store(*, user, data, name: str, region_code: str) -> StoredFile:
    """Store one photo (JPG or PNG, sniffed from the bytes) for an inspection item, rectification or
    re-inspection; the record that holds it is audited by its own service."""
    return file_store(user=user, data=data, name=name, region_code=region_code, allowed_kinds=PHOTO_KINDS)


def _photos_check(photos, region_code: str) -> list[StoredFile]:
    photos = list(photos or [])
    if len(photos) > PHOTOS_MAX:
        raise ValidationError({"photos": f"照片最多 {PHOTOS_MAX} 张"})
    for p in photos:
        if not isinstance(p, StoredFile) or p.kind not in PHOTO_KINDS:
            raise ValidationError({"photos": "照片应为 JPG 或 PNG 图片"})
        if p.region_code[:6] != region_code[:6]:  # stored for another county's record
            raise ValidationError({"photos": "照片不属于该区划"})
    return photos


@transaction.atomic
def inspection_result_set(
    *, user, inspection: Inspection, item: TemplateItem, outcome: str, note: str = "", photos=()
) -> InspectionResult:
    """Record (or correct, while the inspection is a draft) one item's result with its note and
    photos. A failed item needs a note saying what was found."""
    inspection = _locked(Inspection, inspection)
    _may_record(user, inspection)
    if inspection.state != InspectionState.DRAFT:
        raise ValidationError("检查已完成，不能再修改检查结果")
    if item.section.template_id != inspection.template_id:
        raise ValidationError({"item": "该项目不属于本次检查所用的检查表"})
    if outcome not in Outcome.values:
        raise ValidationError({"outcome": "请选择检查结果（符合、不符合、不适用）"})
    note = _text(note, 1000)
    if outcome == Outcome.FAIL and not note:
        raise ValidationError({"note": f"「{item.text}」不符合，请写明发现的问题"})
    photos = _photos_check(photos, inspection.region_code)
    result, created = InspectionResult.objects.update_or_create(
        inspection=inspection, item=item, defaults={"outcome": outcome, "note": note}
    )
    if photos:
        result.photos.add(*photos)
    audit_record(
        action="supervision.inspection_result",
        object_type="supervision.inspection",
        object_id=inspection.pk,
        region_code=inspection.region_code,
        summary=f"检查项目 {item.code}「{item.text[:40]}」：{Outcome(outcome).label}" + ("" if created else "（更正）"),
        changes={"item": item.code, "outcome": outcome, "note": note, "photos": [p.pk for p in photos]},
    )
    return result


def rectification_deadline(*, region_code: str, level: str, found_on: dt.date) -> dt.date:
    """The day a hazard of ``level`` found on ``found_on`` must be rectified by: the standard
    ``supervision_rectification_days`` in force there that day (calendar days after the inspection)."""
    std = standards_for(region_code=region_code, hukou_type="", as_of=found_on)
    try:
        days = int(std.get(RECTIFICATION_DAYS.key, level))
    except MissingStandard as exc:
        raise ValidationError(f"{exc}（请先设置{HazardLevel(level).label}的整改期限）") from None
    return found_on + dt.timedelta(days=days)


@transaction.atomic
def inspection_complete(
    *,
    user,
    inspection: Inspection,
    conclusion: str,
    representative_name: str = "",
    inspector_signature: StoredFile | None = None,
    representative_signature: StoredFile | None = None,
    representative_refused: str = "",
) -> Inspection:
    """Complete an inspection: every item recorded, the inspector's signature and the entity
    representative's (or the refusal to sign, noted); the score is fixed, each failed item whose
    failure is a hazard becomes a :class:`Hazard` with its deadline, and the 检查记录 PDF is stored."""
    inspection = _locked(Inspection, inspection)
    _may_record(user, inspection)
    if inspection.state != InspectionState.DRAFT:
        raise ValidationError("检查已完成")
    items = list(TemplateItem.objects.filter(section__template=inspection.template).select_related("section"))
    results = {r.item_id: r for r in inspection.results.all()}
    missing = [i for i in items if i.pk not in results]
    if missing:
        first = "、".join(i.code for i in missing[:5])
        raise ValidationError(f"还有 {len(missing)} 个检查项目未记录结果（{first}{'等' if len(missing) > 5 else ''}）")
    conclusion = _text(conclusion, 4000)
    if not conclusion:
        raise ValidationError({"conclusion": "请填写检查结论"})
    if inspector_signature is None:
        raise ValidationError({"inspector_signature": "请检查人员签名"})
    representative_name = _text(representative_name, 50)
    representative_refused = _text(representative_refused, 200)
    if representative_signature is None and not representative_refused:
        raise ValidationError({"representative_signature": "请被检查单位负责人签名，或注明拒绝签字的情况"})
    if representative_signature is not None and not representative_name:
        raise ValidationError({"representative_name": "请填写被检查单位签字人姓名"})
    for sig in (inspector_signature, representative_signature):
        if sig is not None and sig.kind not in PHOTO_KINDS:
            raise ValidationError({"inspector_signature": "签名应为图片"})
    applicable = [i for i in items if results[i.pk].outcome != Outcome.NOT_APPLICABLE]
    score_max = sum((i.weight for i in applicable), Decimal(0))
    score = sum((i.weight for i in applicable if results[i.pk].outcome == Outcome.PASS), Decimal(0))
    hazards = []
    for item in items:
        r = results[item.pk]
        if r.outcome == Outcome.FAIL and item.hazard_on_fail:
            deadline = rectification_deadline(
                region_code=inspection.region_code, level=item.hazard_level, found_on=inspection.inspected_on
            )
            hazards.append(
                Hazard(
                    supervised_id=inspection.supervised_id,
                    inspection=inspection,
                    result=r,
                    region_code=inspection.region_code,
                    level=item.hazard_level,
                    description=f"{item.text}：{r.note}"[:1000],
                    legal_basis=item.legal_basis,
                    found_on=inspection.inspected_on,
                    deadline=deadline,
                )
            )
    for h in hazards:
        h.save()
        HazardEvent.objects.create(
            hazard=h, kind=HazardEventKind.FOUND, state_to=HazardState.OPEN, actor=_actor(user),
            note=f"整改期限 {h.deadline:%Y-%m-%d}",
        )  # fmt: skip
    inspection.state = InspectionState.COMPLETED
    inspection.conclusion = conclusion
    inspection.score, inspection.score_max = score, score_max
    inspection.representative_name = representative_name
    inspection.inspector_signature = inspector_signature
    inspection.representative_signature = representative_signature
    inspection.representative_refused = representative_refused
    inspection.completed_at = timezone.now()
    inspection.save()
    from .records import inspection_pdf

    inspection.record = file_store_generated(
        user=user,
        data=inspection_pdf(inspection),
        name=f"检查记录-{inspection.pk}.pdf",
        region_code=inspection.region_code,
    )
    inspection.save(update_fields=["record"])
    audit_record(
        action="supervision.inspection_complete",
        object_type="supervision.inspection",
        object_id=inspection.pk,
        region_code=inspection.region_code,
        summary=f"完成检查：{_label(inspection.supervised)}，得分 {score}/{score_max}，发现隐患 {len(hazards)} 项",
        changes={
            "score": str(score),
            "score_max": str(score_max),
            "hazards": [h.pk for h in hazards],
            "representative_refused": representative_refused,
        },
    )
    return inspection


# ---------------------------------------------------------------------------------------------------
# Hazards to closure


def _hazard_move(hazard: Hazard, to: str, *, action: str) -> None:
    if to not in HAZARD_TRANSITIONS[hazard.state]:
        reasons = {
            (HazardState.CLOSED, "submit"): "隐患已销号，不能再提交整改",
            (HazardState.SUBMITTED, "submit"): "整改情况已提交，正在等待复查",
            (HazardState.OPEN, "reinspect"): "隐患尚未提交整改情况，不能复查销号",
            (HazardState.RETURNED, "reinspect"): "隐患已退回整改，须重新提交整改情况后才能复查",
            (HazardState.CLOSED, "reinspect"): "隐患已销号",
        }
        raise ValidationError(
            reasons.get((hazard.state, action))
            or f"隐患当前为「{hazard.get_state_display()}」，不能变为「{HazardState(to).label}」"
        )


def _hazard_event(hazard, kind, before, note, user):
    HazardEvent.objects.create(
        hazard=hazard, kind=kind, state_from=before, state_to=hazard.state, note=note[:1000], actor=_actor(user)
    )


@transaction.atomic
def rectification_submit(
    *,
    user,
    hazard: Hazard,
    text: str,
    photos=(),
    channel: str = Channel.STAFF,
    submitted_by_name: str = "",
) -> Rectification:
    """The entity's rectification of a hazard (text and photos): entered by staff (``channel``
    ``staff``, ``supervision.rectify`` over the region) or through the institution's own account
    (``institution``: ``user`` is None, the institution site has checked the account is bound to this
    entity and names who submits). Moves the hazard to 整改已提交."""
    hazard = _locked(Hazard, hazard)
    if channel == Channel.STAFF:
        permission_require(user, "supervision.rectify", hazard.region_code, message="无权代录该区划的隐患整改")
    elif channel == Channel.INSTITUTION:
        if user is not None:
            raise PermissionDenied("机构端提交不能由工作人员账号代为办理")
        if not _text(submitted_by_name, 50):
            raise ValidationError({"submitted_by_name": "请注明提交人"})
    else:
        raise ValidationError({"channel": "提交方式无效"})
    _hazard_move(hazard, HazardState.SUBMITTED, action="submit")
    text = _text(text, 4000)
    if not text:
        raise ValidationError({"text": "请填写整改情况"})
    photos = _photos_check(photos, hazard.region_code)
    rect = Rectification.objects.create(
        hazard=hazard, text=text, channel=channel, submitted_by=_actor(user),
        submitted_by_name=_text(submitted_by_name, 50) or (str(user) if user else ""),
    )  # fmt: skip
    if photos:
        rect.photos.set(photos)
    before = hazard.state
    hazard.state = HazardState.SUBMITTED
    hazard.save(update_fields=["state"])
    _hazard_event(hazard, HazardEventKind.SUBMITTED, before, text, user)
    audit_record(
        action="supervision.rectification_submit",
        object_type="supervision.hazard",
        object_id=hazard.pk,
        region_code=hazard.region_code,
        summary=f"提交隐患整改（{Channel(channel).label}）：{hazard.description[:40]}",
        changes={"state": [before, hazard.state], "rectification": rect.pk, "photos": [p.pk for p in photos]},
    )
    return rect


@transaction.atomic
def reinspection_record(*, user, hazard: Hazard, passed: bool, note: str, inspected_on=None, photos=()) -> Reinspection:
    """Re-inspect a submitted rectification: passing closes the hazard (销号) on the re-inspection
    day, failing sends it back (退回整改) with the reason. The only way a hazard closes."""
    hazard = _locked(Hazard, hazard)
    _inspector_check(user, hazard.region_code)
    if user is None:
        raise PermissionDenied("复查须由检查人员办理")
    _hazard_move(hazard, HazardState.CLOSED if passed else HazardState.RETURNED, action="reinspect")
    rect = hazard.rectifications.order_by("-submitted_at", "-pk").first()
    if rect is None or Reinspection.objects.filter(rectification=rect).exists():
        raise ValidationError("没有待复查的整改情况")
    note = _text(note, 1000)
    if not note:
        raise ValidationError({"note": "请填写复查意见"})
    on = _day(inspected_on, "inspected_on", "复查日期")
    if on < hazard.found_on:
        raise ValidationError({"inspected_on": "复查日期不能早于发现隐患的日期"})
    photos = _photos_check(photos, hazard.region_code)
    re = Reinspection.objects.create(
        hazard=hazard, rectification=rect, inspected_on=on, inspector=user, passed=bool(passed), note=note
    )
    if photos:
        re.photos.set(photos)
    before = hazard.state
    if passed:
        hazard.state, hazard.closed_on = HazardState.CLOSED, on
    else:
        hazard.state = HazardState.RETURNED
    hazard.save(update_fields=["state", "closed_on"])
    _hazard_event(hazard, HazardEventKind.CLOSED if passed else HazardEventKind.RETURNED, before, note, user)
    audit_record(
        action="supervision.reinspection",
        object_type="supervision.hazard",
        object_id=hazard.pk,
        region_code=hazard.region_code,
        summary=("复查合格，隐患销号：" if passed else "复查不合格，退回整改：") + hazard.description[:40],
        changes={"state": [before, hazard.state], "passed": bool(passed), "note": note, "on": on.isoformat()},
    )
    return re


def _office(region_code: str, digits: int) -> str:
    return region_code[:digits]


def hazards_overdue_mark(*, on: dt.date | None = None) -> dict:
    """The daily job's work: every hazard not closed whose deadline has passed is marked overdue
    (from the day after its deadline) and the county office is alerted; one still open a further
    ``supervision_escalation_days`` (by level) after that — and after each further step — escalates
    one level, alerting the city office too. Idempotent for a day; audited as the system."""
    from minzheng.foundation.accounts.selectors import users_with_permission
    from minzheng.foundation.notify.services import notify_many

    on = on or _today()
    entries: list[Entry] = []
    alerts: dict[tuple[str, str], dict[int, Hazard]] = {}
    marked = escalated = 0
    views: dict[str, object] = {}
    steps: dict[tuple[str, str], int] = {}
    with transaction.atomic():
        due = (
            Hazard.objects.select_for_update()
            .filter(deadline__lt=on)
            .exclude(state=HazardState.CLOSED)
            .select_related("supervised__entity")
            .order_by("pk")
        )
        for h in due.iterator(chunk_size=2000):
            changed = False
            if h.overdue_since is None:
                before = h.state
                h.overdue_since = h.deadline + dt.timedelta(days=1)
                _hazard_event(h, HazardEventKind.OVERDUE, before, f"整改期限 {h.deadline:%Y-%m-%d} 已过", None)
                alerts.setdefault(("overdue", _office(h.region_code, 6)), {})[h.pk] = h
                marked += 1
                changed = True
            key = (h.region_code, h.level)
            if key not in steps:  # one standards view per village and level, not per hazard
                std = views.setdefault(h.region_code, standards_for(region_code=h.region_code, hukou_type="", as_of=on))
                try:
                    steps[key] = int(std.get(ESCALATION_DAYS.key, h.level))
                except MissingStandard:
                    steps[key] = 0
            step = steps[key]
            if step > 0:
                due_level = (on - h.overdue_since).days // step
                if due_level > h.escalation:
                    h.escalation = due_level
                    _hazard_event(h, HazardEventKind.ESCALATED, h.state, f"逾期升级至第{due_level}级", None)
                    for digits in (6, 4):  # the county office, and the city's above it
                        alerts.setdefault(("escalated", _office(h.region_code, digits)), {})[h.pk] = h
                    escalated += 1
                    changed = True
            if changed:
                h.save(update_fields=["overdue_since", "escalation"])
                entries.append(
                    Entry(
                        "supervision.hazard_overdue",
                        "supervision.hazard",
                        str(h.pk),
                        h.region_code,
                        f"隐患逾期{'（第' + str(h.escalation) + '级）' if h.escalation else ''}："
                        f"{h.supervised.entity.name} {h.description[:30]}",
                        {"overdue_since": h.overdue_since.isoformat(), "escalation": h.escalation},
                    )
                )
        audit_record_many(entries=entries)
        for (level, prefix), by_pk in sorted(alerts.items()):
            hazards = list(by_pk.values())
            users = users_with_permission("supervision.view", prefix, above=False)
            if not users:  # nobody at that office: whoever oversees it above
                users = users_with_permission("supervision.view", prefix)
            if not users:
                continue
            major = sum(1 for h in hazards if h.level == HazardLevel.MAJOR)
            names = "、".join(dict.fromkeys(h.supervised.entity.name for h in hazards[:5]))
            subject = ("逾期隐患升级" if level == "escalated" else "隐患整改逾期") + f"：{len(hazards)} 项"
            body = (
                f"截至 {on:%Y-%m-%d}，{len(hazards)} 项隐患（其中重大隐患 {major} 项）逾期未销号"
                + ("，已升级督办" if level == "escalated" else "")
                + f"，涉及 {names}"
                f"{'等' if len(hazards) > 5 else ''}。请到隐患台账督促整改。"
            )
            notify_many(
                channel="in_app", subject=subject, body=body, recipients=[{"user": u} for u in users],
                related_type="supervision.hazard", related_id=hazards[0].pk, region_code=prefix.ljust(12, "0"),
            )  # fmt: skip
    return {"on": on.isoformat(), "overdue": marked, "escalated": escalated}

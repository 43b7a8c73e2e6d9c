"""Writes to the organisations registry. Every write checks the user's grant for the region
(``entities.change``), keeps the current row and appends its history in one transaction, and is
audited with the representative's phone masked."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from minzheng.foundation.accounts.scoping import permission_require
from minzheng.foundation.audit.services import audit_record
from minzheng.foundation.codes.uscc import UsccError, validate_uscc
from minzheng.foundation.regions.models import Region
from minzheng.foundation.registry.normalise import check_phone, mask_phone
from minzheng.foundation.text import clean_text

from .models import Entity, EntityEvent, EntityKind, EntityStatus, EventKind

FIELDS = ["name", "kind", "region_code", "address", "representative_name", "representative_phone"]

# The legal form GB 32100 positions 1–2 state (登记管理部门 + 机构类别); codes not listed leave the
# kind to the clerk (机构编制/其他, 工会, 宗教 … several forms share one category).
KIND_BY_CODE = {
    "91": EntityKind.ENTERPRISE,
    "92": EntityKind.INDIVIDUAL,
    "93": EntityKind.COOPERATIVE,
    "12": EntityKind.PUBLIC_INSTITUTION,
    "51": EntityKind.SOCIAL_GROUP,
    "52": EntityKind.SOCIAL_SERVICE,
    "53": EntityKind.FOUNDATION,
    "N1": EntityKind.COLLECTIVE,
    "N2": EntityKind.COLLECTIVE,
    "N3": EntityKind.COLLECTIVE,
}

# status → the statuses it may move to. 注销 ends the entity's life: nothing follows it. A revoked
# (吊销/撤销登记) entity can only be deregistered (清算后注销).
TRANSITIONS: dict[str, set[str]] = {
    EntityStatus.ACTIVE: {EntityStatus.RESTRICTED, EntityStatus.REVOKED, EntityStatus.DEREGISTERED},
    EntityStatus.RESTRICTED: {EntityStatus.ACTIVE, EntityStatus.REVOKED, EntityStatus.DEREGISTERED},
    EntityStatus.REVOKED: {EntityStatus.DEREGISTERED},
    EntityStatus.DEREGISTERED: set(),
}


def _actor(user):
    return user if user is not None and getattr(user, "pk", None) else None


def _audit_value(field: str, value):
    if field == "representative_phone" and value:
        return mask_phone(value)
    return value


def uscc_clean(value: str) -> str:
    """The normalised code, or a ``ValidationError`` with the reason in Chinese."""
    try:
        code, _warnings = validate_uscc(value)
    except UsccError as exc:
        raise ValidationError({"uscc": str(exc)}) from exc
    return code


def entity_clean(data: dict, *, instance: Entity | None = None) -> dict:
    """Validate entity input (all fields on create, the given ones on change); Chinese messages."""
    errors: dict[str, str] = {}
    out: dict = {}
    creating = instance is None
    if creating:
        try:
            out["uscc"] = uscc_clean(data.get("uscc") or "")
        except ValidationError as exc:
            errors["uscc"] = exc.message_dict["uscc"][0]
        else:
            if Entity.objects.filter(uscc=out["uscc"]).exists():
                errors["uscc"] = "该统一社会信用代码已登记"
    elif "uscc" in data and (data["uscc"] or "").strip().upper() != instance.uscc:
        errors["uscc"] = "统一社会信用代码不能变更；代码不同即为另一个组织，请另行登记"
    for field, label, limit in (("name", "名称", 200), ("representative_name", "法定代表人（负责人）", 50)):
        if field in data or creating:
            value = clean_text(data.get(field) or "").strip()
            if not value:
                errors[field] = f"{label}不能为空"
            elif len(value) > limit:
                errors[field] = f"{label}不能超过{limit}个字"
            out[field] = value
    if "address" in data:
        out["address"] = clean_text(data.get("address") or "").strip()[:200]
    if "region_code" in data or creating:
        code = (data.get("region_code") or "").strip()
        if not Region.objects.filter(code=code).exists():
            errors["region_code"] = f"区划代码 {code or '（空）'} 不存在"
        out["region_code"] = code
    if "representative_phone" in data:
        phone = clean_text(data.get("representative_phone") or "").strip()
        if msg := check_phone(phone):
            errors["representative_phone"] = msg
        out["representative_phone"] = phone
        out["representative_phone_masked"] = mask_phone(phone) if phone else ""
    uscc = out.get("uscc") or getattr(instance, "uscc", "")
    implied = KIND_BY_CODE.get(uscc[:2])
    if "kind" in data or creating:
        kind = data.get("kind") or implied or ""
        if kind not in EntityKind.values:
            errors["kind"] = "请选择组织类型"
        elif implied and kind != implied:
            errors["kind"] = f"统一社会信用代码表明该组织为{implied.label}，与所选类型不符"
        out["kind"] = kind
    if errors:
        raise ValidationError(errors)
    return out


@transaction.atomic
def entity_create(*, user, data: dict, effective_on: dt.date | None = None) -> Entity:
    """Register a legal entity (its first history row and an audit row)."""
    values = entity_clean(data)
    permission_require(user, "entities.change", values["region_code"])
    on = effective_on or timezone.localdate()
    entity = Entity.objects.create(**values, status=EntityStatus.ACTIVE, status_since=on)
    snapshot = {f: _audit_value(f, getattr(entity, f)) for f in FIELDS}
    EntityEvent.objects.create(
        entity=entity,
        kind=EventKind.CREATED,
        changes={f: [None, v] for f, v in snapshot.items()},
        status_to=EntityStatus.ACTIVE,
        effective_on=on,
        actor=_actor(user),
    )
    audit_record(
        action="entities.create",
        object_type="entities.entity",
        object_id=entity.pk,
        region_code=entity.region_code,
        summary=f"登记组织 {entity.name}（{entity.uscc}）",
        changes={"uscc": entity.uscc, **snapshot},
    )
    return entity


def _locked(entity: Entity) -> Entity:
    return Entity.objects.select_for_update().get(pk=entity.pk)


@transaction.atomic
def entity_change(*, user, entity: Entity, data: dict, reason: str = "", effective_on: dt.date | None = None) -> Entity:
    """Change an entity's particulars (the code never changes); the user needs ``entities.change``
    over the old region and, on a move, the new one. A change that changes nothing writes nothing."""
    entity = _locked(entity)
    permission_require(user, "entities.change", entity.region_code)
    if entity.status == EntityStatus.DEREGISTERED:
        raise ValidationError("该组织已注销，不能变更")
    values = entity_clean(data, instance=entity)
    if values.get("region_code", entity.region_code) != entity.region_code:
        permission_require(user, "entities.change", values["region_code"])
    changes = {}
    for field, value in values.items():
        if field in FIELDS and getattr(entity, field) != value:
            changes[field] = [_audit_value(field, getattr(entity, field)), _audit_value(field, value)]
    if not changes:
        return entity
    for field, value in values.items():
        setattr(entity, field, value)
    entity.save()
    reason = clean_text(reason or "").strip()[:500]
    EntityEvent.objects.create(
        entity=entity,
        kind=EventKind.CHANGED,
        changes=changes,
        effective_on=effective_on or timezone.localdate(),
        reason=reason,
        actor=_actor(user),
    )
    audit_record(
        action="entities.change",
        object_type="entities.entity",
        object_id=entity.pk,
        region_code=entity.region_code,
        summary=f"变更组织 {entity.name}（{entity.uscc}）" + (f"：{reason}" if reason else ""),
        changes=changes,
    )
    return entity


@transaction.atomic
def entity_status_set(*, user, entity: Entity, status: str, reason: str, effective_on: dt.date | None = None) -> Entity:
    """Move an entity to ``status`` along :data:`TRANSITIONS`, with the reason (required) and the day
    it takes effect (not in the future, not before the current status began)."""
    entity = _locked(entity)
    permission_require(user, "entities.change", entity.region_code)
    if status not in EntityStatus.values:
        raise ValidationError({"status": "状态无效"})
    if status not in TRANSITIONS[entity.status]:
        raise ValidationError(
            {"status": f"组织当前为「{entity.get_status_display()}」，不能变为「{EntityStatus(status).label}」"}
        )
    reason = clean_text(reason or "").strip()[:500]
    if not reason:
        raise ValidationError({"reason": "请填写状态变更的原因（如登记机关的决定文号）"})
    on = effective_on or timezone.localdate()
    if on > timezone.localdate():
        raise ValidationError({"effective_on": "生效日期不能晚于今天"})
    if on < entity.status_since:
        raise ValidationError({"effective_on": f"生效日期不能早于当前状态的起始日期 {entity.status_since:%Y-%m-%d}"})
    before = entity.status
    entity.status, entity.status_since = status, on
    entity.save(update_fields=["status", "status_since", "updated_at"])
    EntityEvent.objects.create(
        entity=entity,
        kind=EventKind.STATUS,
        status_from=before,
        status_to=status,
        effective_on=on,
        reason=reason,
        actor=_actor(user),
    )
    audit_record(
        action="entities.status",
        object_type="entities.entity",
        object_id=entity.pk,
        region_code=entity.region_code,
        summary=f"组织 {entity.name}（{entity.uscc}）{EntityStatus(before).label} → {EntityStatus(status).label}：{reason}",
        changes={"status": [before, status], "effective_on": on.isoformat(), "reason": reason},
    )
    return entity

"""Writes of the policy parameters: a standard's new version, audited (ADR 0017)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from minzheng.foundation.accounts.scoping import permission_require
from minzheng.foundation.audit.services import audit_record
from minzheng.foundation.regions.models import Region

from . import standards as st
from .models import Standard


def _parse_value(t: st.StandardType, raw) -> tuple[Decimal | None, str]:
    if t.kind == st.CHOICE:
        allowed = dict(t.choices)
        if raw not in allowed:
            raise ValidationError({"value": f"取值须为：{'、'.join(f'{k}（{v}）' for k, v in allowed.items())}"})
        return None, str(raw)
    if t.kind == st.FLAG and isinstance(raw, bool):
        return Decimal(int(raw)), ""
    try:
        value = Decimal(str(raw).strip())
    except (InvalidOperation, ValueError):
        raise ValidationError({"value": "数值格式不正确"}) from None
    if not value.is_finite() or value < 0:
        raise ValidationError({"value": "数值不能为负数"})
    if t.kind == st.FLAG and value not in (0, 1):
        raise ValidationError({"value": "是/否 取值须为 1 或 0"})
    if t.kind == st.RATE and value > 1:
        raise ValidationError({"value": "比例须在 0 到 1 之间（如 0.1 表示 10%）"})
    if t.kind in (st.COUNT, st.MONTHS, st.DAYS) and value != value.to_integral_value():
        raise ValidationError({"value": "须为整数"})
    if value.as_tuple().exponent < -4:
        raise ValidationError({"value": "最多保留4位小数"})
    return value, ""


def _versioned_write(model, rows: list, *, effective_from: dt.date, key: dict, values: dict):
    """One write of a time-versioned parameter (``rows``: its versions, locked, by start): the
    version starting on ``effective_from`` is corrected in place; else the version in force that day
    is closed there and a new one starts, running until the next version begins (if any)."""
    existing = next((r for r in rows if r.effective_from == effective_from), None)
    if existing is not None:
        for field, value in values.items():
            setattr(existing, field, value)
        existing.save(update_fields=list(values))
        return existing
    later = [r for r in rows if r.effective_from > effective_from]
    for r in rows:
        if r.effective_from < effective_from and (r.effective_to is None or r.effective_to > effective_from):
            r.effective_to = effective_from
            r.save(update_fields=["effective_to"])
    return model.objects.create(
        **key, effective_from=effective_from, effective_to=later[0].effective_from if later else None, **values
    )


def standard_set(
    *,
    user,
    key: str,
    region_code: str,
    value,
    effective_from: dt.date,
    hukou_type: str = "",
    mode: str = "",
    source_document: str = "",
) -> Standard:
    """Set a standard from ``effective_from`` on: the row in force then is closed at that date and
    a new version starts (a later version already entered keeps its own start). Amounts already
    calculated into payment cycles are snapshots and never change."""
    t = st.TYPES.get(key)
    if t is None:
        raise ValidationError({"key": f"不认识的标准类型：{key}"})
    if t.modes and mode not in dict(t.modes):
        raise ValidationError({"mode": f"“{t.label}”须指定方式/档次：{'、'.join(f'{k}（{v}）' for k, v in t.modes)}"})
    if not t.modes and mode:
        raise ValidationError({"mode": f"“{t.label}”不分方式/档次"})
    if hukou_type not in ("", "urban", "rural"):
        raise ValidationError({"hukou_type": "户籍类型须为 urban、rural 或留空（不分城乡）"})
    region_code = (region_code or "").strip()
    if region_code and not Region.objects.filter(code=region_code).exists():
        raise ValidationError({"region_code": f"区划代码 {region_code} 不存在"})
    if user is not None and not region_code and not getattr(user, "is_superuser", False):
        raise PermissionDenied("全国默认参数只能由超级管理员修改")
    permission_require(user, "standards.manage", region_code or None)
    number, text = _parse_value(t, value)
    with transaction.atomic():
        same = Standard.objects.select_for_update().filter(
            key=key, region_code=region_code, hukou_type=hukou_type, mode=mode
        )
        rows = list(same.order_by("effective_from"))
        existing = next((r for r in rows if r.effective_from == effective_from), None)
        before = None
        if existing is not None:
            before = {"value": str(st.value_of(existing)), "source_document": existing.source_document}
        by = user if getattr(user, "pk", None) else None
        row = _versioned_write(
            Standard, rows, effective_from=effective_from,
            key={"key": key, "region_code": region_code, "hukou_type": hukou_type, "mode": mode},
            values={"value": number, "text_value": text, "source_document": source_document, "created_by": by},
        )  # fmt: skip
        audit_record(
            action="update" if existing else "create",
            object_type="benefits.standard",
            object_id=row.pk,
            region_code=region_code,
            summary=f"{t.label} {region_code or '全国'} {hukou_type or '不分城乡'} {mode} 自 {effective_from} 起 = "
            f"{text or number}",
            changes={"before": before, "after": {"value": str(text or number), "source_document": source_document}},
        )
    return row


def income_exclusion_set(
    *,
    user,
    scope: str,
    kind: str,
    region_code: str,
    excluded: bool,
    effective_from: dt.date,
    source_document: str,
):
    """Leave ``kind`` out of (``excluded``) or count it in the income of rule ``scope`` in a region
    from ``effective_from`` on, citing ``source_document``: the row in force then is closed at that
    date and a new version starts, as :func:`standard_set` does. Audited."""
    from .exclusions import SCOPES
    from .models import IncomeExclusion

    spec = SCOPES.get(scope)
    if spec is None:
        raise ValidationError({"scope": f"不认识的不计入收入规则：{scope}"})
    labels = dict(spec.kinds)
    if kind not in labels:
        raise ValidationError({"kind": f"“{spec.label}”没有收入类型 {kind}"})
    source_document = (source_document or "").strip()
    if not source_document:
        raise ValidationError({"source_document": "须注明依据文件"})
    region_code = (region_code or "").strip()
    if region_code and not Region.objects.filter(code=region_code).exists():
        raise ValidationError({"region_code": f"区划代码 {region_code} 不存在"})
    if user is not None and not region_code and not getattr(user, "is_superuser", False):
        raise PermissionDenied("全国默认参数只能由超级管理员修改")
    permission_require(user, "standards.manage", region_code or None)
    by = user if getattr(user, "pk", None) else None
    with transaction.atomic():
        rows = list(
            IncomeExclusion.objects.select_for_update()
            .filter(scope=scope, kind=kind, region_code=region_code)
            .order_by("effective_from")
        )
        existing = next((r for r in rows if r.effective_from == effective_from), None)
        before = None
        if existing is not None:
            before = {"excluded": existing.excluded, "source_document": existing.source_document}
        row = _versioned_write(
            IncomeExclusion, rows, effective_from=effective_from,
            key={"scope": scope, "kind": kind, "region_code": region_code},
            values={"excluded": bool(excluded), "source_document": source_document, "created_by": by},
        )  # fmt: skip
        audit_record(
            action="update" if existing else "create",
            object_type="parameters.income_exclusion",
            object_id=row.pk,
            region_code=region_code,
            summary=f"{spec.label}：{labels[kind]} {region_code or '全国'} 自 {effective_from} 起"
            f"{'不计入' if excluded else '计入'}（{source_document}）",
            changes={"before": before, "after": {"excluded": bool(excluded), "source_document": source_document}},
        )
    return row

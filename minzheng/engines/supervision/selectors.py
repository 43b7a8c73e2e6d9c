"""Reads of the supervision engine, always scoped by the user's grants (``for_user`` with the
permission named); another region's row is not found."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone

from minzheng.foundation.exports import export_row, xlsx_bytes
from minzheng.foundation.regions.prefixes import prefix_q
from minzheng.foundation.validation import is_digits

from .kinds import KINDS
from .models import (
    AttributeValue,
    Hazard,
    HazardLevel,
    HazardState,
    Inspection,
    Supervised,
    Template,
)

VIEW = "supervision.view"


def supervised_for(user, *, kind: str = "", region: str = "", status: str = "", q: str = "") -> QuerySet:
    """The regulated entities the user may see, filtered by kind, region prefix, status and a name
    or credit-code fragment."""
    qs = Supervised.objects.for_user(user, VIEW).select_related("entity")
    if kind:
        qs = qs.filter(kind=kind)
    if region:
        if not is_digits(region):
            raise ValidationError({"region": "区划代码须为数字"})
        qs = qs.filter(prefix_q("entity__region_code", [region]))
    if status:
        qs = qs.filter(status=status)
    if q:
        q = q.strip()
        qs = qs.filter(Q(entity__name__contains=q) | Q(entity__uscc=q.upper()))
    return qs.order_by("entity__region_code", "entity__name", "pk")


def supervised_get(user, pk) -> Supervised:
    """One regulated entity the user may see (404 otherwise)."""
    obj = Supervised.objects.for_user(user, VIEW).select_related("entity").filter(pk=pk).first()
    if obj is None:
        raise Http404("监管对象不存在")
    return obj


def attributes_current(supervised: Supervised) -> list[tuple]:
    """``[(Attribute, value, AttributeValue row or None)]`` in the order the kind declares them
    (attributes no longer declared are left out)."""
    kind = KINDS.get(supervised.kind)
    rows = {r.code: r for r in supervised.attribute_values.filter(superseded_at__isnull=True)}
    if kind is None:
        return []
    return [(a, rows[a.code].value if a.code in rows else None, rows.get(a.code)) for a in kind.attributes]


def attribute_history(supervised: Supervised, code: str = "") -> QuerySet:
    """Every value an attribute (or every attribute) ever had, oldest first."""
    qs = AttributeValue.objects.filter(supervised=supervised).select_related("set_by")
    if code:
        qs = qs.filter(code=code)
    return qs.order_by("code", "set_at", "pk")


def template_for(*, kind: str, purpose: str, on: dt.date) -> Template | None:
    """The published template of a kind and purpose in force on a day (latest effective day, then
    latest version)."""
    return (
        Template.objects.filter(kind=kind, purpose=purpose, published=True, effective_from__lte=on)
        .order_by("-effective_from", "-version")
        .first()
    )


def inspections_for(user, *, supervised: Supervised | None = None, region: str = "") -> QuerySet:
    qs = Inspection.objects.for_user(user, VIEW).select_related("supervised__entity", "template", "lead_inspector")
    if supervised is not None:
        qs = qs.filter(supervised=supervised)
    if region:
        if not is_digits(region):
            raise ValidationError({"region": "区划代码须为数字"})
        qs = qs.under(region)
    return qs


def inspection_get(user, pk) -> Inspection:
    obj = inspections_for(user).filter(pk=pk).first()
    if obj is None:
        raise Http404("检查记录不存在")
    return obj


def hazard_ledger(
    user,
    *,
    region: str = "",
    supervised: Supervised | None = None,
    kind: str = "",
    state: str = "",
    level: str = "",
    overdue: bool | None = None,
    on: dt.date | None = None,
) -> QuerySet:
    """The hazard ledger (隐患台账) the user may see, per entity or per region, filterable by state
    (``open`` also means “not closed” when given as ``"unclosed"``), level and overdue (deadline
    before ``on``, default today, and not closed — whether or not the daily job has marked it yet)."""
    qs = Hazard.objects.for_user(user, VIEW).select_related("supervised__entity")
    if region:
        if not is_digits(region):
            raise ValidationError({"region": "区划代码须为数字"})
        qs = qs.under(region)
    if supervised is not None:
        qs = qs.filter(supervised=supervised)
    if kind:
        qs = qs.filter(supervised__kind=kind)
    if state == "unclosed":
        qs = qs.exclude(state=HazardState.CLOSED)
    elif state:
        if state not in HazardState.values:
            raise ValidationError({"state": "隐患状态无效"})
        qs = qs.filter(state=state)
    if level:
        if level not in HazardLevel.values:
            raise ValidationError({"level": "隐患等级无效"})
        qs = qs.filter(level=level)
    if overdue is not None:
        today = on or timezone.localdate()
        late = Q(deadline__lt=today) & ~Q(state=HazardState.CLOSED)
        qs = qs.filter(late) if overdue else qs.exclude(late)
    return qs.order_by("deadline", "pk")


def hazard_get(user, pk) -> Hazard:
    obj = Hazard.objects.for_user(user, VIEW).select_related("supervised__entity", "inspection").filter(pk=pk).first()
    if obj is None:
        raise Http404("隐患不存在")
    return obj


LEDGER_HEADERS = [
    "区划代码", "单位名称", "统一社会信用代码", "类别", "隐患等级", "隐患描述", "依据", "发现日期", "整改期限",
    "状态", "逾期天数", "升级次数", "销号日期",
]  # fmt: skip


def hazard_ledger_rows(hazards: QuerySet, *, on: dt.date | None = None) -> Iterator[list]:
    """The ledger's rows for an export, each through the safe writer's ``export_row``."""
    today = on or timezone.localdate()
    for h in hazards.iterator(chunk_size=2000):
        kind = KINDS.get(h.supervised.kind)
        late = (today - h.deadline).days if h.state != HazardState.CLOSED and h.deadline < today else 0
        yield export_row(
            [
                h.region_code, h.supervised.entity.name, h.supervised.entity.uscc,
                kind.label if kind else h.supervised.kind, h.get_level_display(), h.description, h.legal_basis,
                h.found_on, h.deadline, h.get_state_display(), late, h.escalation, h.closed_on,
            ]
        )  # fmt: skip


def hazard_ledger_xlsx(hazards: QuerySet, *, on: dt.date | None = None) -> bytes:
    """The ledger as an Excel workbook (dates as text cells, no formula ever)."""
    return xlsx_bytes(title="隐患台账", headers=LEDGER_HEADERS, rows=hazard_ledger_rows(hazards, on=on))

"""Public supervision pages of the portal (no sign-in): the published 双随机一公开 draw results and
their findings summaries by region (``draws.published_draws``), and the directory of supervised
bodies (机构查询) of the kinds a line registered (``directory.DIRECTORY``): filters and columns of
the attributes the line made public, each body's page with its public attributes, current grade
(``gradings.grade_current``) and the inspections whose draw findings were published. Nothing
unpublished and nothing not declared public is shown. Generic: names no business line."""

from __future__ import annotations

from decimal import InvalidOperation
from urllib.parse import urlencode

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Exists, OuterRef
from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.utils import timezone

from minzheng.engines.supervision import draws as draws_mod
from minzheng.engines.supervision import gradings
from minzheng.engines.supervision.kinds import BOOL, CHOICE, DATE, DECIMAL, INT, KINDS, attribute_clean
from minzheng.engines.supervision.models import (
    AttributeValue,
    Grading,
    GradingState,
    Inspection,
    InspectionState,
    Supervised,
    SupervisionStatus,
)
from minzheng.foundation.regions.models import Region
from minzheng.foundation.regions.selectors import region_names
from minzheng.foundation.validation import is_digits

from .directory import DIRECTORY
from .regions import region_children, region_chosen_from, region_picker

COLUMN = {INT: "value_int", DECIMAL: "value_decimal", DATE: "value_date", BOOL: "value_bool", CHOICE: "value_text"}


def _picked_region(request) -> Region | None:
    """The region of the picker (``?region=`` or the levels), the portal's own before any choice."""
    code = (request.GET.get("region") or "").strip()
    if not code:
        chosen = {k: v for k, v in request.GET.items() if k in ("province", "city", "county", "township", "village")}
        if not any(chosen.values()):
            chosen = region_chosen_from(settings.MINZHENG_PORTAL_REGION)
        _, code = region_picker(chosen)
    return Region.objects.filter(code=code).first() if is_digits(code) and len(code) == 12 else None


def draws(request):
    """双随机一公开: the published draws of the region (its own and those of the regions above it)."""
    region = _picked_region(request)
    rows_picker, _ = region_picker(region_chosen_from(region.code) if region else {})
    qs = draws_mod.published_draws(region.code if region else "")
    page = Paginator(qs, 10).get_page(request.GET.get("page"))
    plans = []
    for plan in page:
        pairs = list(plan.pairs.select_related("supervised__entity").order_by("order"))
        kind = KINDS.get(plan.kind)
        plans.append({"plan": plan, "kind": kind.label if kind else plan.kind,
                      "bodies": [p.supervised.entity.name for p in pairs]})  # fmt: skip
    names = region_names(p["plan"].region_code for p in plans)
    for p in plans:
        p["place"] = names.get(p["plan"].region_code, "")
    return render(request, "portal/public/draws.html", {"page": page, "plans": plans, "rows": rows_picker,
                                                        "region": region})  # fmt: skip


def directory(request):
    """机构查询: the kinds a line made findable."""
    entries = [(e, KINDS[e.kind].label) for e in DIRECTORY.values() if e.kind in KINDS]
    return render(request, "portal/public/directory.html", {"entries": entries})


def _entry(kind: str):
    entry = DIRECTORY.get(kind)
    if entry is None or kind not in KINDS:
        raise Http404("没有这一类机构的查询")
    return entry, KINDS[kind]


def _listed(kind: str):
    return Supervised.objects.filter(kind=kind, status=SupervisionStatus.OPERATING).select_related("entity")


def _current_rows(ids, entry=None, on=None) -> dict[int, dict[str, object]]:
    """``{body id: {code: value}}``: the current attribute values, and the entry's computed values."""
    out: dict[int, dict[str, object]] = {i: {} for i in ids}
    for row in AttributeValue.objects.filter(supervised_id__in=ids, superseded_at__isnull=True):
        out.setdefault(row.supervised_id, {})[row.code] = row.value
    for c in entry.computed if entry is not None and ids else ():
        for pk, value in c.values(list(ids), on).items():
            out.setdefault(pk, {})[c.code] = value
    return out


def _attribute(entry, declared, code: str):
    """The declared attribute ``code`` of the kind, or the attribute-like view of a computed value."""
    c = entry.computed_get(code)
    return c.attribute if c is not None else declared.attribute(code)


def _filter(qs, attribute, op: str, raw: str, computed=None, on=None):
    """``qs`` narrowed by one public filter (``raw`` from the query string; a bad value is ignored)."""
    try:
        value = attribute_clean(attribute, raw)
    except (ValidationError, InvalidOperation, ValueError):
        return qs, False
    if value is None:
        return qs, False
    if computed is not None:
        return computed.narrow(qs, op, value, on), True
    lookup = {"eq": "", "min": "__gte", "max": "__lte"}[op]
    column = COLUMN.get(attribute.type, "value_text")
    rows = AttributeValue.objects.filter(supervised=OuterRef("pk"), code=attribute.code, superseded_at__isnull=True,
                                         **{f"{column}{lookup}": value})  # fmt: skip
    return qs.filter(Exists(rows)), True


def _current_grades(ids, on) -> dict[int, str]:
    """``{body id: grade}`` in force on ``on`` for a page of bodies in one statement (as
    ``gradings.grade_current``: the latest decided whose validity covers the day)."""
    out: dict[int, str] = {}
    rows = (
        Grading.objects.filter(
            supervised_id__in=ids, state=GradingState.DECIDED, valid_from__lte=on, valid_until__gte=on
        )
        .order_by("supervised_id", "-decided_on", "-pk")
        .values_list("supervised_id", "grade")
    )
    for pk, grade in rows:
        out.setdefault(pk, grade)
    return out


def directory_kind(request, kind):
    entry, declared = _entry(kind)
    today = timezone.localdate()
    qs = _listed(kind)
    districts = region_children(settings.MINZHENG_PORTAL_REGION)
    district = request.GET.get("district", "")
    if district in {c for c, _, _ in districts}:
        qs = qs.filter(entity__region_code__startswith=Region.objects.get(code=district).prefix)
    else:
        district = ""
    filters = []
    for f in entry.filters:
        a = _attribute(entry, declared, f.code)
        raw = (request.GET.get(f.code) or "").strip()[:40]
        qs, used = _filter(qs, a, f.op, raw, entry.computed_get(f.code), today) if raw else (qs, False)
        suffix = {"min": "（不少于）", "max": "（不高于）"}.get(f.op, "")
        choices = a.choices if a.type == CHOICE else (("1", "是"), ("0", "否")) if a.type == BOOL else ()
        filters.append({"code": f.code, "label": f.label or f"{a.label}{suffix}", "value": raw if used else "",
                        "choices": choices, "unit": a.unit})  # fmt: skip
    grades, grade = [], ""
    if entry.grades:
        sheet = gradings.sheet_for(kind=kind, on=today)
        grades = list(sheet.grades.order_by("rank").values_list("name", flat=True)) if sheet else []
        grade = request.GET.get("grade", "")
        if grade in grades:
            in_force = Grading.objects.filter(supervised=OuterRef("pk"), state=GradingState.DECIDED, grade=grade,
                                              valid_from__lte=today, valid_until__gte=today)  # fmt: skip
            qs = qs.filter(Exists(in_force))
        else:
            grade = ""
    qs = qs.order_by("entity__region_code", "entity__name", "pk")
    page = Paginator(qs, 20).get_page(request.GET.get("page"))
    values = _current_rows([s.pk for s in page], entry, today)
    names = region_names(s.entity.region_code for s in page)
    columns = [_attribute(entry, declared, c) for c in entry.columns]
    current = _current_grades([s.pk for s in page], today) if entry.grades else {}
    rows = [
        {"s": s, "place": names.get(s.entity.region_code, ""), "grade": current.get(s.pk, ""),
         "cells": [(a.label, a.display(values.get(s.pk, {}).get(a.code))) for a in columns]}
        for s in page
    ]  # fmt: skip
    params = urlencode({k: v for k, v in request.GET.items() if k != "page" and v})
    context = {"entry": entry, "label": declared.label, "kind": kind, "rows": rows, "page": page,
               "filters": filters, "districts": [(c, n) for c, n, _ in districts], "district": district,
               "grades": grades, "grade": grade, "params": params}  # fmt: skip
    return render(request, "portal/public/bodies.html", context)


def body(request, kind, pk):
    entry, declared = _entry(kind)
    s = get_object_or_404(_listed(kind), pk=pk)
    values = _current_rows([s.pk], entry, timezone.localdate()).get(s.pk, {})
    public = [(a.label, a.display(values.get(c))) for c in entry.public if (a := _attribute(entry, declared, c))]
    current = gradings.grade_current(s) if entry.grades else None
    inspections = (
        Inspection.objects.filter(supervised=s, state=InspectionState.COMPLETED,
                                  draw_pair__plan__findings_published_at__isnull=False)
        .select_related("draw_pair__plan").order_by("-inspected_on", "-pk")[:20]
    )  # fmt: skip
    results = [{"i": i, "hazards": i.hazards.count(), "open": i.hazards.exclude(state="closed").count()}
               for i in inspections]  # fmt: skip
    place = region_names([s.entity.region_code]).get(s.entity.region_code, "")
    context = {"entry": entry, "label": declared.label, "kind": kind, "s": s, "entity": s.entity, "place": place,
               "public": [(k, v) for k, v in public if v != ""], "grade": current, "results": results}  # fmt: skip
    return render(request, "portal/public/body.html", context)

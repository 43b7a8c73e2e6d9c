"""Reads of the benefits engine that need care: scoping, lists for the workbench, statistics."""

from __future__ import annotations

import datetime as dt

from django.db.models import Q
from django.http import Http404

from minzheng.foundation.regions.prefixes import prefix_q
from minzheng.foundation.regions.selectors import region_prefix

from . import standards as st
from .models import Enrollment, EnrollmentState, Standard


def standards_in_force(
    *, region_code: str, hukou_type: str, as_of: dt.date
) -> list[tuple[st.StandardType, str, object, Standard]]:
    """Every declared standard type with the row in force (or None) for display."""
    std = st.standards_for(region_code=region_code, hukou_type=hukou_type, as_of=as_of)
    out = []
    for t in st.TYPES.values():
        for mode, _label in t.modes or (("", ""),):
            row = std.row(t.key, mode)
            out.append((t, mode, st.value_of(row) if row else None, row))
    return out


def enrollment_search(*, user, program: str = "", state: str = "", region: str = "", q: str = ""):
    """The roll as the user may see it, filterable; newest region order like the registry lists."""
    qs = Enrollment.objects.for_user(user, "benefits.view").select_related("program", "household", "person")
    if program:
        qs = qs.filter(program_id=program)
    if state:
        qs = qs.filter(state=state)
    if region:
        qs = qs.filter(prefix_q("region_code", [region_prefix(region)]))
    q = (q or "").strip()
    if q:
        qs = qs.filter(Q(number=q.upper()) | Q(household__number=q) | Q(household__head__name=q))
    return qs.order_by("region_code", "number")


def enrollment_get(*, user, pk: int):
    """One enrollment of the user's regions; another region's is simply not found (404)."""
    e = enrollment_search(user=user).filter(pk=pk).first()
    if e is None:
        raise Http404("找不到该保障对象")
    return e


def reviews_due(*, user, on: dt.date, within_days: int = 30):
    """Enrollments whose periodic review is overdue or due within ``within_days`` (定期复核到期)."""
    return (
        enrollment_search(user=user)
        .exclude(state=EnrollmentState.EXITED)
        .filter(next_review__isnull=False, next_review__lte=on + dt.timedelta(days=within_days))
        .order_by("next_review", "region_code", "number")
    )


def phase_out_ending(*, user, on: dt.date):
    """Enrollments in 渐退期 whose end falls within the reminder period (default 30 days, a
    standard) or has passed; each with ``reminder_date`` = end − reminder days."""
    rows = []
    qs = enrollment_search(user=user, state=EnrollmentState.PHASE_OUT).filter(phase_out_until__isnull=False)
    for e in qs.order_by("phase_out_until"):
        days = int(st.standards_for(region_code=e.region_code, hukou_type=e.hukou_type, as_of=on).get(
            "phase_out_reminder_days"))  # fmt: skip
        e.reminder_date = e.phase_out_until - dt.timedelta(days=days)
        if e.reminder_date <= on:
            rows.append(e)
    return rows

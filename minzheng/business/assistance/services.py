"""Writes of the social-assistance line: its programs, nationwide policy parameters, demo standards
and households' means."""

from __future__ import annotations

import csv
import datetime as dt
from decimal import Decimal
from pathlib import Path

from django.core.exceptions import PermissionDenied
from django.db import transaction

from minzheng.engines.benefits.models import Program
from minzheng.foundation.accounts.scoping import has_permission
from minzheng.foundation.audit.services import audit_record
from minzheng.foundation.parameters.models import IncomeExclusion, Standard
from minzheng.foundation.parameters.services import standard_set
from minzheng.foundation.parameters.standards import MissingStandard, standards_for
from minzheng.foundation.regions.models import Region

from .assessment import excluded_kinds
from .models import INCOME_FIELDS, HouseholdMeans, MeansSource
from .policy import NATIONWIDE, NATIONWIDE_EXCLUSIONS, NATIONWIDE_FROM, PROGRAMS


def policy_ensure(*, using: str = "default") -> None:
    """Create the programs and any nationwide parameter or income exclusion that has no row yet;
    never overwrite what an administrator has set."""
    for sort, (code, name, short, monthly, prefix) in enumerate(PROGRAMS):
        Program.objects.using(using).get_or_create(
            code=code,
            defaults={
                "name": name,
                "short_name": short,
                "pays_monthly": monthly,
                "number_prefix": prefix,
                "sort": sort,
            },
        )
    for key, hukou, mode, value, citation in NATIONWIDE:
        exists = Standard.objects.using(using).filter(key=key, region_code="", hukou_type=hukou, mode=mode).exists()
        if not exists:
            Standard.objects.using(using).create(
                key=key, region_code="", hukou_type=hukou, mode=mode, effective_from=NATIONWIDE_FROM,
                value=value if isinstance(value, Decimal) else None,
                text_value=value if isinstance(value, str) else "",
                source_document=citation,
            )  # fmt: skip
    for scope, kind, citation in NATIONWIDE_EXCLUSIONS:
        if not IncomeExclusion.objects.using(using).filter(scope=scope, kind=kind, region_code="").exists():
            IncomeExclusion.objects.using(using).create(
                scope=scope, kind=kind, region_code="", excluded=True, effective_from=NATIONWIDE_FROM,
                source_document=citation,
            )  # fmt: skip


DEMO_STANDARDS = Path(__file__).resolve().parent / "fixtures" / "demo_standards.csv"


def standards_load(*, path: Path = DEMO_STANDARDS, user=None) -> int:
    """Load standard rows from a CSV (key, region_code, hukou_type, mode, effective_from, value,
    source_document) through ``standard_set``, in date order, skipping regions not loaded. All or
    nothing: any bad row and nothing is written."""
    with open(path, encoding="utf-8") as fh:
        rows = sorted(csv.DictReader(fh), key=lambda r: r["effective_from"])
    known = set(Region.objects.filter(code__in={r["region_code"] for r in rows}).values_list("code", flat=True))
    n = 0
    with transaction.atomic():
        for r in rows:
            if r["region_code"] and r["region_code"] not in known:
                continue
            standard_set(
                user=user, key=r["key"], region_code=r["region_code"], hukou_type=r["hukou_type"], mode=r["mode"],
                value=r["value"], effective_from=dt.date.fromisoformat(r["effective_from"]),
                source_document=r["source_document"],
            )  # fmt: skip
            n += 1
    return n


MEANS_FIELDS = [
    "wages_annual", "other_income_annual", "excluded_income_annual", "rigid_expense_annual", "financial_assets",
    "houses", "non_residential_houses", "vehicles", "business_registrations", "has_able_supporter",
    "incomes_by_kind", *INCOME_FIELDS.values(),
]  # fmt: skip
SPLIT_FIELDS = ("wages_annual", "other_income_annual", "excluded_income_annual")


def means_split(by_kind: dict[str, Decimal], excluded: set[str]) -> dict[str, Decimal]:
    """The split of :class:`HouseholdMeans` (counted wages, other counted, excluded) of incomes per
    kind (``kind → amount``) under the kinds ``excluded``, as :func:`means_values` makes it."""
    return {
        "wages_annual": Decimal(0) if "wages" in excluded else by_kind.get("wages", Decimal(0)),
        "other_income_annual": sum((v for k, v in by_kind.items() if k != "wages" and k not in excluded), Decimal(0)),
        "excluded_income_annual": sum((v for k, v in by_kind.items() if k in excluded), Decimal(0)),
    }


def means_kinds(values) -> dict[str, Decimal] | None:
    """``kind → amount`` of a means record or dict, or None where the kinds are not known."""
    get = values.get if isinstance(values, dict) else lambda f, d=None: getattr(values, f, d)
    if not get("incomes_by_kind"):
        return None
    return {kind: Decimal(get(field) or 0) for kind, field in INCOME_FIELDS.items()}


def _excluded_for(request) -> set[str]:
    """The income kinds the assessment leaves out for this request's region, hukou type and date:
    the exclusions in force there (data) and 高龄津贴 by the regional setting
    (:func:`~.assessment.longevity_counted`; no row at all: the nationwide rule, counted)."""
    std = standards_for(
        region_code=request.region_code, hukou_type=request.hukou_type, as_of=request.as_of or dt.date.today(),
        overrides=request.standards.as_overrides() if request.standards else {},
    )  # fmt: skip
    has_longevity = any(inc.kind == "longevity_allowance" for inc in request.incomes)
    try:
        return excluded_kinds(std, longevity=has_longevity)
    except MissingStandard:
        return excluded_kinds(std, longevity=False)


def means_values(request, *, has_able_supporter) -> dict:
    """The :class:`HouseholdMeans` figures of a validated ``AssessmentIn``: the counted members'
    incomes split as the assessment counts them (wages, other counted, excluded — 高龄津贴 by the
    regional setting in force on the request's date), rigid expenses, property."""
    counted = {i for i, m in enumerate(request.members) if m.counted}
    by_kind = dict.fromkeys(INCOME_FIELDS, Decimal(0))
    for inc in request.incomes:
        if inc.member in counted:
            by_kind[inc.kind] += inc.annual_amount
    return {
        **means_split(by_kind, _excluded_for(request)),
        # per kind as well: a reader on another date or region applies the exclusions in force there
        "incomes_by_kind": True,
        **{INCOME_FIELDS[kind]: amount for kind, amount in by_kind.items()},
        "rigid_expense_annual": sum((e.annual_amount for e in request.expenses), Decimal(0)),
        "financial_assets": request.property.financial_assets,
        "houses": request.property.houses,
        "non_residential_houses": request.property.non_residential_houses,
        "vehicles": request.property.vehicles,
        "business_registrations": request.property.business_registrations,
        "has_able_supporter": has_able_supporter,
    }


def household_means_save(*, user, household, request, source: str = MeansSource.ASSESSMENT) -> HouseholdMeans:
    """Keep what an assessment established about a household's means (counted members' incomes
    split as the assessment counts them, rigid expenses, property), replacing the previous
    record; audited with before and after. ``request`` is a validated ``AssessmentIn``."""
    sole = request.members[0] if len(request.members) == 1 else None
    values = means_values(request, has_able_supporter=sole.has_able_supporter if sole else None)
    return household_means_write(user=user, household=household, values=values, as_of=request.as_of, source=source)


def _with_kinds(values: dict) -> dict:
    kinds = means_kinds(values)
    if kinds is None:
        return {**values, "incomes_by_kind": False, **dict.fromkeys(INCOME_FIELDS.values(), Decimal(0))}
    split = sum((Decimal(values[f] or 0) for f in SPLIT_FIELDS), Decimal(0))
    if sum(kinds.values(), Decimal(0)) != split:
        raise ValueError(f"按收入类型的合计 {sum(kinds.values())} 与计入、不计入收入的合计 {split} 不一致")
    return values


def household_means_write(*, user, household, values: dict, as_of, source: str) -> HouseholdMeans:
    """Replace the household's means record with ``values`` (the ``MEANS_FIELDS``), audited with
    before and after. Values without incomes per kind (``incomes_by_kind`` false or absent) record
    the split alone, the kinds as not known (0); with them, the kinds must add up to the split."""
    values = _with_kinds(values)
    if user is not None and not has_permission(user, "benefits.change", household.region_code):
        raise PermissionDenied("无权在该区划办理此操作")
    with transaction.atomic():
        current = HouseholdMeans.objects.select_for_update().filter(household=household).first()
        before = {f: str(getattr(current, f)) for f in MEANS_FIELDS} if current else None
        means, _ = HouseholdMeans.objects.update_or_create(
            household=household,
            defaults={**values, "region_code": household.region_code, "hukou_type": household.hukou_type,
                      "as_of": as_of, "source": source, "updated_by": user if getattr(user, "pk", None) else None},
        )  # fmt: skip
        audit_record(
            action="update" if current else "create", object_type="assistance.householdmeans", object_id=means.pk,
            region_code=household.region_code, summary=f"家庭 {household.number} 经济状况（{MeansSource(source).label}）",
            changes={"before": before, "after": {f: str(values[f]) for f in MEANS_FIELDS}},
        )  # fmt: skip
    return means

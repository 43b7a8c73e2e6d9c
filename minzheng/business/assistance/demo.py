"""The demo city's social-assistance roll (台账), so that payroll, statistics and 提标测算 show real
figures out of the box.

Every demo household gets synthetic but plausible means (:class:`~.models.HouseholdMeans`): most
far above the 低保 line, a tail near and under it — more often for people living alone in old age,
single parents, grandparents raising grandchildren and families with a severely disabled or
seriously ill member. Each household is then assessed with :func:`~.assessment.assess` against the
demo standards, and what it qualifies for is put on the roll through
:func:`~minzheng.engines.benefits.services.enrollment_create`, with start months spread over the
last years. A few 低保 families whose income has since risen into the 边缘 band are in their
渐退期 (``enrollment_change`` kind ``phase_out``); a few earlier cases have exited (income over the
line, death, moved away, phase-out ended), so monthly statistics show new and exited cases.

Deterministic for a seed; idempotent (households that already have means are left alone).
"""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal
from types import SimpleNamespace

from django.db import transaction
from django.utils import timezone

from minzheng.engines.benefits.models import Enrollment, EnrollmentState, EventKind, ReviewClass
from minzheng.engines.benefits.services import (
    add_months,
    enrollment_change,
    enrollment_create,
    month_start,
    review_cadence,
)
from minzheng.foundation.parameters.models import Standard
from minzheng.foundation.parameters.standards import standards_for
from minzheng.foundation.registry.models import Household

from .assessment import age_on, assess, severe_for_topup
from .models import HouseholdMeans, MeansSource
from .services import standards_load
from .simulation import assessment_request, registry_members, standard_regions, standards_signature

YUAN = Decimal(1)
# share of households whose per-capita income falls under the 低保 line / in the 边缘 band, by kind
LOW_SHARE = {
    "elderly_alone": 0.12,
    "elderly_couple": 0.04,
    "grandparent_grandchild": 0.20,
    "single_parent": 0.09,
    "single_adult": 0.03,
    "family": 0.008,
}
EDGE_SHARE = 0.03
RIGID_SHARE = 0.006
SEVERE_BOOST = 3.0  # a severely disabled or seriously ill member makes a low income more likely


def _kind(members, as_of) -> str:
    ages = [age_on(m.birth_date, as_of) for m in members]
    adults = [a for a in ages if a >= 18]
    if len(members) == 1:
        return "elderly_alone" if ages[0] >= 60 else "single_adult"
    if all(a >= 58 for a in ages):
        return "elderly_couple"
    if any(a < 18 for a in ages) and len(adults) == 1:
        return "grandparent_grandchild" if adults[0] >= 55 else "single_parent"
    return "family"


def _money(value) -> Decimal:
    return Decimal(value).quantize(YUAN, ROUND_HALF_UP)


def means_for(r: random.Random, members, *, hukou: str, dibao: Decimal, as_of: dt.date) -> dict:
    """Plausible annual means of one household: a per-capita income drawn as a multiple of the
    standard (a tail under it and in the 边缘 band), split into wages of working-age members and
    other income (pensions, support), with excluded income (基础养老金) for the elderly and
    property that mostly passes for the poor and mostly does not for the well-off."""
    n = len(members)
    ages = [age_on(m.birth_date, as_of) for m in members]
    kind = _kind(members, as_of)
    severe = any(severe_for_topup(m) or m.serious_illness for m in members)
    low = LOW_SHARE[kind] * (SEVERE_BOOST if severe else 1)
    roll = r.random()
    if roll < low:
        band = "low"
        multiple = r.choice([0, 0.1, 0.3, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95])
    elif roll < low + EDGE_SHARE:
        band = "edge"
        multiple = r.uniform(1.02, 1.45)
    elif roll < low + EDGE_SHARE + RIGID_SHARE * (SEVERE_BOOST if severe else 1):
        band = "rigid"  # heavy medical or education costs eat most of a modest income
        multiple = r.uniform(4.2, 6.5)
    else:
        band = "high"
        multiple = min(40.0, r.lognormvariate(1.45, 0.55))  # median ≈ 4.3 × the standard
    target = Decimal(multiple) * dibao * 12 * n  # counted annual income aimed at
    rigid = Decimal(0)
    if band == "rigid":
        rigid = _money(target * Decimal(r.uniform(0.61, 0.7)))
        target -= rigid  # the counted income is what is left after them
    elif r.random() < (0.25 if severe else 0.04):
        rigid = _money(r.choice([3000, 8000, 15000, 30000, 60000]))
    elderly = sum(1 for a in ages if a >= 60)
    workers = sum(1 for a, m in zip(ages, members, strict=True) if 18 <= a < 60 and not severe_for_topup(m))
    pensions = Decimal(elderly * r.choice([1200, 2400, 3600, 20000 if band == "high" else 2400]))
    other = min(pensions, target)
    wages = Decimal(0)
    rest = target - other + (rigid if band in ("low", "edge", "rigid") else 0)
    if workers and rest > 0:
        wages = rest / Decimal("0.9")  # 10% employment cost is deducted again by the assessment
    else:
        other += max(Decimal(0), rest)
    # left out nationwide: the rural elderly's 基础养老金, a severely disabled member's 两项补贴 (救助款物)
    basic_pension = Decimal(elderly * (1800 if hukou == "rural" else 0))
    allowance = Decimal(1200) if severe else Decimal(0)
    excluded = basic_pension + allowance
    if band == "high" or (band == "rigid" and r.random() < 0.2):
        houses = r.choice([1, 1, 1, 2, 2, 3])
        vehicles = 1 if r.random() < 0.45 else 0
        assets = _money(Decimal(r.uniform(0.2, 3.0)) * target)
        business = 1 if r.random() < 0.08 else 0
    else:
        houses = r.choice([0, 1, 1, 1, 1, 1, 1, 1, 1, 2])
        vehicles = 1 if r.random() < 0.05 else 0
        assets = _money(Decimal(r.uniform(0, 6)) * dibao)
        business = 0
    able = None
    if kind == "elderly_alone":
        able = r.random() < (0.4 if band == "low" else 0.8)
    elif n == 1:
        able = r.random() < 0.7
    return {
        "wages_annual": _money(wages),
        "other_income_annual": _money(other),
        "excluded_income_annual": _money(excluded),
        "rigid_expense_annual": rigid,
        "financial_assets": assets,
        "houses": houses,
        "non_residential_houses": 0,
        "vehicles": vehicles,
        "business_registrations": business,
        "has_able_supporter": able,
        # the same incomes per kind (pensions and other counted income as 转移净收入)
        "incomes_by_kind": True,
        "income_wages": _money(wages),
        "income_transfer": _money(other),
        "income_basic_pension": basic_pension,
        "income_assistance": allowance,
        "band": band,
    }


def _review_class(members, as_of, wages) -> str:
    """A: nobody can work (all elderly, minors or severely disabled); C: income from work; else B."""
    able = [
        m for m in members if 18 <= age_on(m.birth_date, as_of) < 60 and not (severe_for_topup(m) or m.serious_illness)
    ]
    if not able:
        return ReviewClass.A
    return ReviewClass.C if wages else ReviewClass.B


def _start(r: random.Random, first: dt.date, last: dt.date) -> dt.date:
    months = (last.year - first.year) * 12 + last.month - first.month
    return add_months(first, r.randint(0, max(0, months)))


def demo_roll(*, region_prefix: str, seed: int = 2026, today: dt.date | None = None, log=print) -> dict:
    """Means for every household under ``region_prefix`` without them, then assessment and
    enrollment of those that qualify (see the module docstring). Returns counts."""
    today = today or timezone.localdate()
    this_month = month_start(today)
    if not Standard.objects.filter(key="dibao_monthly").exclude(region_code="").exists():
        log(f"已导入示范保障标准 {standards_load()} 条")
    r = random.Random(seed)
    done = set(HouseholdMeans.objects.values_list("household_id", flat=True))
    households = [
        h for h in Household.objects.filter(region_code__startswith=region_prefix).order_by("id") if h.pk not in done
    ]
    if not households:
        return {"households": 0, "enrolled": 0}
    members = registry_members([h.pk for h in households])
    std_cache: dict[tuple, object] = {}
    with_rows = standard_regions()

    def std(h):
        key = (standards_signature(h.region_code, with_rows), h.hukou_type)
        if key not in std_cache:
            std_cache[key] = standards_for(region_code=h.region_code, hukou_type=h.hukou_type, as_of=today)
        return std_cache[key]

    counts = defaultdict(int)
    with transaction.atomic():
        plans = []
        rows = []
        for h in households:
            ms = members.get(h.pk)
            if not ms:
                continue
            s = std(h)
            data = means_for(r, ms, hukou=h.hukou_type, dibao=s.decimal("dibao_monthly"), as_of=today)
            band = data.pop("band")
            means = HouseholdMeans(
                household=h, region_code=h.region_code, hukou_type=h.hukou_type,
                as_of=today - dt.timedelta(days=r.randint(10, 300)), source=MeansSource.DEMO, **data,
            )  # fmt: skip
            rows.append(means)
            req = assessment_request(
                region_code=h.region_code, hukou_type=h.hukou_type, as_of=today, means=means, members=ms
            )
            result = assess(req, std(h))
            plans.append((h, ms, means, band, result))
        HouseholdMeans.objects.bulk_create(rows, batch_size=2000)
        counts["households"] = len(rows)
        first = add_months(this_month, -54)
        for h, ms, means, band, result in plans:
            cls = result["classification"]
            ordered = sorted(ms, key=lambda m: (m.relation != "head", m.person_id))
            review = _review_class(ms, today, means.wages_annual)
            # decided before this month: on the roll from a month in the last four and a half years
            start = _start(r, first, add_months(this_month, -1))
            common = {"user": None, "household": h, "classification": cls, "review_class": review}
            if cls == "dibao":
                enrollment_create(
                    program="dibao", monthly_amount=result["monthly_amount"], persons_covered=result["counted_members"],
                    components=result["components"], start_month=start, assessment=result, **common,
                )  # fmt: skip
                counts["dibao"] += 1
                counts["dibao_persons"] += result["counted_members"]
            elif cls in ("tekun", "dibao_single_person"):
                by_member = defaultdict(list)
                for c in result["components"]:
                    by_member[c["member"] or 0].append(c)
                for index, comps in by_member.items():
                    amount = sum(Decimal(c["amount"]) for c in comps)
                    enrollment_create(
                        program="tekun" if cls == "tekun" else "dibao", monthly_amount=amount, persons_covered=1,
                        components=comps, start_month=start, mode="dispersed" if cls == "tekun" else "",
                        assessment=result, person=_person(ordered[index]), **common,
                    )  # fmt: skip
                    counts[cls] += 1
                    counts[f"{cls}_persons"] += 1
            elif cls in ("dibao_edge", "rigid_expense"):
                if cls == "rigid_expense":  # recognised for at most 12 months (2025 刚性支出办法)
                    start = _start(r, add_months(this_month, -11), add_months(this_month, -1))
                enrollment_create(
                    program=cls, monthly_amount=0, persons_covered=result["counted_members"], start_month=start,
                    assessment=result, **common,
                )  # fmt: skip
                counts[cls] += 1
                counts[f"{cls}_persons"] += result["counted_members"]
            if cls == "dibao_edge" and band == "edge" and r.random() < 0.15:
                _phase_out(r, h, result, means, ms, today, this_month, std(h), counts)
            elif cls == "not_eligible" and band == "high" and r.random() < 0.015:
                _exited(r, h, means, ms, today, this_month, std(h), counts)
        _spread_reviews(r, region_prefix, today)
    return dict(counts)


def _person(member):
    from minzheng.foundation.registry.models import Person

    return Person.objects.get(pk=member.person_id)


def _former_dibao(r, h, means, ms, today, std) -> dict | None:
    """What the household received when its income was lower (for cases that have since risen
    above the line): the same family with about half the standard per head and nothing to spare."""
    lower = SimpleNamespace(**{f.attname: getattr(means, f.attname) for f in HouseholdMeans._meta.concrete_fields})
    n = len(ms)
    lower.wages_annual = Decimal(0)
    lower.other_income_annual = _money(std.decimal("dibao_monthly") * 12 * n * Decimal(r.uniform(0.3, 0.8)))
    lower.rigid_expense_annual = Decimal(0)
    lower.financial_assets, lower.houses, lower.vehicles, lower.business_registrations = Decimal(0), 1, 0, 0
    lower.has_able_supporter = True
    lower.incomes_by_kind = False  # the figures above, as a split (no kinds)
    req = assessment_request(region_code=h.region_code, hukou_type=h.hukou_type, as_of=today, means=lower, members=ms)
    result = assess(req, std)
    return result if result["classification"] == "dibao" else None


def _phase_out(r, h, result, means, ms, today, this_month, std, counts) -> None:
    """A 低保 family whose income rose into the 边缘 band in the last months: in its 渐退期."""
    former = _former_dibao(r, h, means, ms, today, std)
    if former is None:
        return
    start = _start(r, add_months(this_month, -48), add_months(this_month, -8))
    e = enrollment_create(
        user=None, program="dibao", household=h, monthly_amount=former["monthly_amount"],
        persons_covered=former["counted_members"], components=former["components"], classification="dibao",
        start_month=start, assessment=former, review_class=ReviewClass.C,
    )  # fmt: skip
    when = _start(r, add_months(this_month, -4), this_month)
    enrollment_change(
        user=None, enrollment=e, kind=EventKind.PHASE_OUT, reason="income_over_line", effective_month=when,
        note="家庭成员就业，人均收入进入低保边缘区间",
    )  # fmt: skip
    counts["phase_out"] += 1


def _exited(r, h, means, ms, today, this_month, std, counts) -> None:
    """An earlier 低保 case that has left the roll (income over the line, death, moved away, or its
    渐退期 ended)."""
    former = _former_dibao(r, h, means, ms, today, std)
    if former is None:
        return
    start = _start(r, add_months(this_month, -54), add_months(this_month, -14))
    e = enrollment_create(
        user=None, program="dibao", household=h, monthly_amount=former["monthly_amount"],
        persons_covered=former["counted_members"], components=former["components"], classification="dibao",
        start_month=start, assessment=former, review_class=ReviewClass.C,
    )  # fmt: skip
    end = _start(r, add_months(start, 6), add_months(this_month, -1))
    reason = r.choice(["income_over_line", "income_over_line", "moved_away", "voluntary", "phase_out"])
    if reason == "phase_out":
        enrollment_change(user=None, enrollment=e, kind=EventKind.PHASE_OUT, reason="income_over_line",
                          effective_month=add_months(end, -6))  # fmt: skip
        reason = "phase_out_ended"
    enrollment_change(user=None, enrollment=e, kind=EventKind.EXIT, reason=reason, effective_month=end)
    counts["exited"] += 1


def _spread_reviews(r, region_prefix: str, today: dt.date) -> None:
    """Demo data only: as if the periodic reviews had been held, the next one falls within the
    coming cadence (a few overdue, so the due-review list has something to show)."""
    for e in Enrollment.objects.filter(region_code__startswith=region_prefix, state=EnrollmentState.ACTIVE):
        months = review_cadence(
            region_code=e.region_code, hukou_type=e.hukou_type, review_class=e.review_class, on=today
        )
        due = add_months(month_start(today), r.randint(-1 if r.random() < 0.08 else 0, months - 1))
        Enrollment.objects.filter(pk=e.pk).update(next_review=due + dt.timedelta(days=r.randint(0, 27)))

"""测算: classify a household for 低保 / 单人户 / 低保边缘 / 特困 / 刚性支出 and compute the monthly
amount, explaining every step with the numbers used.

One function (:func:`assess`) behind three faces: ``minzheng assess``, ``POST
/api/v1/assistance/assessments`` and the workbench page. The figures come from the standards
table for the region, hukou type and date (:mod:`minzheng.foundation.parameters.standards`), or from
what-if overrides in the request. Money is ``Decimal``; the only rounding of an amount is the
configured rule applied once to the 低保 gap (民发〔2021〕57号 第二十三条; see ``_round``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal

from django.core.exceptions import ValidationError
from pydantic import ValidationError as SchemaError

from minzheng.foundation.money import yuan  # money as people read it: 3,540.00
from minzheng.foundation.parameters.standards import MissingStandard, Standards, standards_for
from minzheng.foundation.regions.models import Region
from minzheng.foundation.validation import errors_zh

from .policy import FAMILY_INCOME, INCOME_LABELS, TEKUN_INCOME, TEKUN_MODES
from .schemas import NOT_COUNTED_REASONS, AssessmentIn, MemberIn

CENT = Decimal("0.01")
EXPENSE_LABELS = {"medical": "医疗", "education": "教育", "rehabilitation": "康复", "other_rigid": "其他刚性"}
DISABILITY_LABELS = {"limb": "肢体", "visual": "视力", "hearing": "听力", "speech": "言语",
                     "intellectual": "智力", "mental": "精神", "multiple": "多重"}  # fmt: skip
SELF_CARE_LABELS = {"full": "全自理", "partial": "部分丧失（半护理）", "none": "完全丧失（全护理）"}
# the result's classification (AssessmentOut.classification) and amount components, as caseworkers
# name them on the case page, the assessment page and the roll (the portal words its estimate itself)
CLASSIFICATION_LABELS = {
    "dibao": "低保",
    "dibao_single_person": "低保（重病重残成员参照单人户）",
    "dibao_edge": "低保边缘家庭",
    "tekun": "特困人员",
    "rigid_expense": "刚性支出困难家庭",
    "not_eligible": "不符合救助条件",
}
COMPONENT_LABELS = {
    "gap": "低保差额",
    "category_topup": "分类施保加发",
    "tekun_basic": "基本生活标准",
    "tekun_care": "照料护理标准",
}
REF = {
    "family": "民发〔2021〕57号 第七条",
    "alone": "民发〔2021〕57号 第八条",
    "income": "民发〔2021〕57号 第十三条",
    "property": "民发〔2021〕57号 第十四条",
    "dibao": "国务院令第649号 第九条",
    "gap": "民发〔2021〕57号 第二十三条",
    "topup": "民发〔2021〕57号 第二十七条",
    "edge": "民发〔2021〕57号 第八条",
    "single": "2022 兜底通知：低保边缘家庭重病重残人员参照单人户",
    "tekun": "特困人员认定办法 第六条",
    "tekun_care": "特困人员认定办法 第二十一条",
    "rigid": "2025 刚性支出困难家庭认定办法",
}


def money(value: Decimal) -> str:
    return str(value.quantize(CENT, ROUND_HALF_UP))


def _round(value: Decimal, rule: str) -> Decimal:
    """The configured rounding of the 低保 gap: ``ceil_yuan`` (up to whole yuan, as 林口县 does) or
    ``round_fen`` (half up to the fen). 民发〔2021〕57号 第二十三条 leaves the rounding to localities."""
    if rule == "round_fen":
        return value.quantize(CENT, ROUND_HALF_UP)
    return value.quantize(Decimal(1), ROUND_CEILING).quantize(CENT)


def age_on(birth: dt.date, day: dt.date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def severe_for_topup(m: MemberIn) -> bool:
    """重残 for 分类施保 and 单人户: grade 1–2 of any kind, or grade 3 智力/精神 (民发〔2021〕57号 第八条)."""
    g = m.disability_grade
    return g is not None and (g <= 2 or (g == 3 and m.disability_kind in ("intellectual", "mental")))


def severe_for_tekun(m: MemberIn) -> bool:
    """无劳动能力 by disability (特困人员认定办法第五条): 智力/精神 1–3, 肢体 1–2, 视力 1; 多重 graded by
    its most severe kind, taken here as 1–2."""
    g, k = m.disability_grade, m.disability_kind
    if g is None:
        return False
    return (
        (k in ("intellectual", "mental") and g <= 3)
        or (k in ("limb", "multiple") and g <= 2)
        or (k == "visual" and g == 1)
    )


@dataclass
class Outcome:
    classification: str = "not_eligible"
    tekun_mode: str | None = None
    monthly_amount: Decimal = Decimal(0)
    components: list[dict] = field(default_factory=list)
    explanation: list[str] = field(default_factory=list)
    refs: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def say(self, line: str, *refs: str) -> None:
        self.explanation.append(line)
        for r in refs:
            if REF[r] not in self.refs:
                self.refs.append(REF[r])


def longevity_counted(std: Standards) -> bool:
    """Whether 高龄津贴 counts as 低保 family income here: 民发〔2021〕57号 第十三条 does not list it
    among the incomes left out, and lets the city government leave out others; a regional standard
    (``longevity_allowance_excluded``, nationwide default: counted). For 特困 it never counts
    (特困人员认定办法第六条)."""
    return not bool(std.get("longevity_allowance_excluded"))


def excluded_kinds(std: Standards, *, longevity: bool = True) -> set[str]:
    """The income kinds left out of 低保 family income under ``std``: the exclusions of
    ``FAMILY_INCOME`` in force for the region on the date (data, each with its citation), and
    高龄津贴 where the regional standard leaves it out (:func:`longevity_counted`; not read when
    ``longevity`` is false, for a household without 高龄津贴)."""
    kinds = set(std.excluded_income(FAMILY_INCOME).kinds)
    if longevity and not longevity_counted(std):
        kinds.add("longevity_allowance")
    return kinds


def tekun_excluded_kinds(std: Standards) -> set[str]:
    """The income kinds not counted as a 特困 applicant's own income (特困人员认定办法第六条; data
    of ``TEKUN_INCOME`` in force for the region on the date)."""
    return set(std.excluded_income(TEKUN_INCOME).kinds)


def family_excluded_kinds(*, region_code: str, hukou_type: str, on: dt.date, program: str = "") -> set[str]:
    """:func:`excluded_kinds` for a household's region and hukou type on ``on`` — for the labels
    that mark a kind 不计入 (a missing 高龄津贴 standard: the exclusions alone); for a 特困 item
    (``program`` ``tekun``) :func:`tekun_excluded_kinds`."""
    std = standards_for(region_code=region_code, hukou_type=hukou_type, as_of=on)
    if program == "tekun":
        return tekun_excluded_kinds(std)
    try:
        return excluded_kinds(std)
    except MissingStandard:
        return excluded_kinds(std, longevity=False)


def assess(req: AssessmentIn, std: Standards, *, _family_only: bool = False) -> dict:
    """Classify the household and compute its monthly amount. See the module docstring; the steps:

    1. counted members (民发〔2021〕57号 第七条);
    2. counted annual income: non-excluded incomes of counted members − employment cost (rate ×
       wages) − rigid expenses when deductible, never below 0 (第十三条); monthly = annual / 12;
    3. property test (第十四条);
    4. 特困 for every counted member without labour capacity, without an able supporter, whose own
       income (基础养老金, 优抚金, 高龄津贴 not counted) is below the 低保 standard, the family's
       property within the limits (特困人员认定办法第六条): basic + care standard by self-care tier.
       When every counted member qualifies the household is 特困; otherwise the members who qualify
       are listed in ``tekun_members`` and the rest of the household is assessed on (steps 5–7);
    5. 低保 when per-capita income < standard: gap on family totals, rounded once, + 分类施保;
    6. 低保边缘 when per-capita < edge multiple × standard; a severely disabled or seriously ill adult
       whose own income is under the standard is covered as a 单人户 (2022 兜底通知);
    7. 刚性支出困难家庭 when rigid expenses ≥ the configured share of income and per-capita annual
       income is under the configured line (2025 办法).
    """
    as_of = req.as_of
    out = Outcome()
    members = req.members
    names = [m.name or f"成员{i + 1}" for i, m in enumerate(members)]
    ages = [age_on(m.birth_date, as_of) for m in members]

    # 1. counted members
    counted = [i for i, m in enumerate(members) if m.counted]
    n = len(counted)
    not_counted = [
        names[i] + (f"（{NOT_COUNTED_REASONS[m.not_counted_reason]}）" if m.not_counted_reason else "")
        for i, m in enumerate(members)
        if i not in counted
    ]
    line = f"共同生活的家庭成员 {n} 人：{'、'.join(names[i] for i in counted) or '无'}"
    if not_counted:
        line += f"；不计入：{'、'.join(not_counted)}"
    out.say(line, "family")
    if n == 0:
        raise ValidationError({"members": "至少需要一名共同生活的家庭成员（counted 为 true）"})

    dibao = std.decimal("dibao_monthly")
    out.say(f"低保标准 {yuan(dibao)} 元/人·月（{_source(std, 'dibao_monthly')}）")

    # 2. income
    gross = Decimal(0)
    wages = Decimal(0)
    excluded = Decimal(0)
    parts: dict[str, Decimal] = {}
    skipped_members = set()
    # the regional setting is read only when the household has 高龄津贴 (its source is explained)
    has_longevity = any(inc.kind == "longevity_allowance" and inc.member in counted for inc in req.incomes)
    excluded_here = excluded_kinds(std, longevity=has_longevity)
    for inc in req.incomes:
        if inc.member not in counted:
            skipped_members.add(names[inc.member])
            continue
        if inc.kind in excluded_here:
            excluded += inc.annual_amount
            parts[inc.kind] = parts.get(inc.kind, Decimal(0)) + inc.annual_amount
            continue
        gross += inc.annual_amount
        parts[inc.kind] = parts.get(inc.kind, Decimal(0)) + inc.annual_amount
        if inc.kind == "wages":
            wages += inc.annual_amount
    counted_parts = [f"{INCOME_LABELS[k]} {yuan(v)}" for k, v in parts.items() if k not in excluded_here]
    out.say(f"计入收入（元/年）：{'；'.join(counted_parts) or '无'}，合计 {yuan(gross)}", "income")
    if excluded:
        ex = [f"{INCOME_LABELS[k]} {yuan(v)}" for k, v in parts.items() if k in excluded_here]
        out.say(f"不计入收入（元/年）：{'；'.join(ex)}", "income")
    if has_longevity:
        where = _source(std, "longevity_allowance_excluded")
        out.say(
            f"高龄津贴{'计入' if 'longevity_allowance' not in excluded_here else '不计入'}低保家庭收入"
            + (f"（{where}）" if where else ""),
            "income",
        )
    if skipped_members:
        out.say(f"非共同生活成员的收入不计入：{'、'.join(sorted(skipped_members))}")
    rate = std.decimal("employment_cost_rate")
    employment_cost = wages * rate
    if employment_cost:
        out.say(f"扣除必要就业成本：工资性收入 {yuan(wages)} × {_pct(rate)} = {yuan(employment_cost)} 元", "income")
    rigid = sum((e.annual_amount for e in req.expenses), Decimal(0))
    deductible = bool(std.get("rigid_expense_deductible"))
    rigid_deducted = rigid if deductible else Decimal(0)
    if rigid:
        detail = "；".join(f"{EXPENSE_LABELS[e.kind]} {yuan(e.annual_amount)}" for e in req.expenses if e.annual_amount)
        if deductible:
            out.say(f"扣减刚性支出（元/年）：{detail}，合计 {yuan(rigid)}", "income")
        else:
            out.say(f"刚性支出 {yuan(rigid)} 元/年：本地不从收入中扣减")
    before_expenses = max(Decimal(0), gross - employment_cost)
    annual = max(Decimal(0), gross - employment_cost - rigid_deducted)
    monthly = annual / 12
    per_capita = monthly / n
    out.say(
        f"家庭年计算收入 {yuan(annual)} 元；月收入 {yuan(annual)} ÷ 12 = {yuan(monthly)} 元；"
        f"人均月收入 {yuan(monthly)} ÷ {n} = {yuan(per_capita)} 元"
    )

    # 3. property
    property_ok = _property_test(req, std, dibao, n, out)

    # 4. 特困, member by member
    tekun = (
        [] if _family_only else _tekun_members(req, std, dibao, counted, ages, names, property_ok, rigid_deducted, out)
    )
    tekun_amount = sum((t["amount"] for t in tekun), Decimal(0)) if tekun else None
    if tekun and len(tekun) < n:
        return _with_rest(req, std, tekun, out, names)
    if tekun:
        out.classification = "tekun"
        out.tekun_mode = req.tekun_mode
        out.components = [
            {"item": item, "member": t["member"], "amount": t[key]}
            for t in tekun
            for item, key in (("tekun_basic", "basic"), ("tekun_care", "care"))
        ]
    elif per_capita < dibao and property_ok:
        # 5. 低保
        out.say(f"人均月收入 {yuan(per_capita)} 元 < 低保标准 {yuan(dibao)} 元，财产符合 → 低保", "dibao")
        rule = std.get("rounding")
        raw = dibao * n - monthly
        gap = _round(raw, rule)
        out.say(
            f"差额按家庭总额计算：{yuan(dibao)} × {n} − {yuan(monthly)} = {yuan(raw)}，"
            f"{'向上取整到元' if rule != 'round_fen' else '四舍五入到分'} → {yuan(gap)} 元",
            "gap",
        )
        out.classification = "dibao"
        out.components.append({"item": "gap", "amount": gap})
        # (No "待遇倒挂" comparison with what members would get as 单人户: 单人户 is for members of
        # 低保边缘 families (民发〔2021〕57号 第八条; 2022 兜底通知), and no cited rule raises a 低保
        # family's gap to it.)
        topups = _topups(req, std, counted, ages, names, out)
        out.components += topups
        out.monthly_amount = gap + sum((c["amount"] for c in topups), Decimal(0))
    elif per_capita < std.decimal("edge_multiple") * dibao and property_ok:
        # 6. 边缘, with 单人户
        edge = std.decimal("edge_multiple")
        out.say(
            f"人均月收入 {yuan(per_capita)} 元 ≥ 低保标准，且 < {edge} × {yuan(dibao)} = {yuan(edge * dibao)} 元，"
            "财产符合 → 低保边缘家庭",
            "edge",
        )
        single = _single_persons(req, std, dibao, counted, ages, names, quiet=False, out=out)
        if single:
            out.classification = "dibao_single_person"
            out.components = single
            out.monthly_amount = sum((c["amount"] for c in single), Decimal(0))
        else:
            out.classification = "dibao_edge"
            out.say("低保边缘家庭不发放月保障金，按规定给予专项救助")
    else:
        reason = "财产不符合" if not property_ok else f"人均月收入 {yuan(per_capita)} 元不低于低保边缘线"
        if _rigid(req, std, rigid, before_expenses, annual, n, property_ok, out):
            out.classification = "rigid_expense"
        else:
            out.say(f"{reason} → 不符合条件")
    if tekun_amount is not None:
        out.monthly_amount = tekun_amount

    out.say(f"月保障金额 {yuan(out.monthly_amount)} 元")
    temp = _temp_assistance(req, std, dibao, n, out) if req.temp_assistance else None
    return {
        "classification": out.classification,
        "tekun_members": _tekun_out(tekun),
        "tekun_amount": money(tekun_amount or Decimal(0)),
        "tekun_mode": out.tekun_mode,
        "counted_members": n,
        "annual_income_counted": money(annual),
        "per_capita_monthly_income": money(per_capita),
        "standard_monthly": money(dibao),
        "monthly_amount": money(out.monthly_amount),
        "components": [
            {"item": c["item"], "member": c.get("member"), "amount": money(c["amount"])} for c in out.components
        ],
        "property_ok": property_ok,
        "explanation": out.explanation,
        "rule_refs": out.refs,
        "warnings": out.warnings,
        "temp_assistance": temp,
    }


def _pct(rate: Decimal) -> str:
    return f"{(rate * 100).normalize():f}%"


def _source(std: Standards, key: str, mode: str = "") -> str:
    used = std.used.get((key, mode))
    if used is None:
        return ""
    origin, _ = used
    if origin == "override":
        return "测算假设值"
    where = origin.region_code or "全国"
    return f"{where} 自 {origin.effective_from.isoformat()} 起" + (
        f"，{origin.source_document}" if origin.source_document else ""
    )


def _property_test(req: AssessmentIn, std: Standards, dibao: Decimal, n: int, out: Outcome) -> bool:
    """民发〔2021〕57号 第十四条: the limits are local data (months of the standard per counted
    member for financial assets; counts for houses, non-residential houses, vehicles, businesses)."""
    p = req.property
    months = std.decimal("financial_assets_months")
    limit = months * dibao * n
    checks = [
        (p.financial_assets <= limit,
         f"金融资产 {yuan(p.financial_assets)} 元，限额 {months.normalize():f} 个月 × {yuan(dibao)} × {n} 人 = {yuan(limit)} 元"),
        (p.houses <= int(std.get("houses_allowed")), f"住房 {p.houses} 套，上限 {int(std.get('houses_allowed'))} 套"),
        (p.non_residential_houses <= int(std.get("non_residential_houses_allowed")),
         f"非住宅房产 {p.non_residential_houses} 套，上限 {int(std.get('non_residential_houses_allowed'))} 套"),
        (p.vehicles <= int(std.get("vehicles_allowed")), f"机动车 {p.vehicles} 辆，上限 {int(std.get('vehicles_allowed'))} 辆"),
        (p.business_registrations <= int(std.get("business_registrations_allowed")),
         f"市场主体登记 {p.business_registrations} 户，上限 {int(std.get('business_registrations_allowed'))} 户"),
    ]  # fmt: skip
    ok = all(passed for passed, _ in checks)
    out.say(
        "财产核查："
        + "；".join(f"{text}（{'符合' if passed else '超出'}）" for passed, text in checks)
        + f" → {'符合' if ok else '不符合'}",
        "property",
    )
    return ok


def _tekun_reasons(m: MemberIn, age: int) -> list[str]:
    """无劳动能力 (特困人员认定办法第五条): aged 60 or more, under 16, or severely disabled."""
    reasons = []
    if age >= 60:
        reasons.append(f"年满60周岁（{age}岁）")
    if age < 16:
        reasons.append(f"未满16周岁（{age}岁）")
    if severe_for_tekun(m):
        reasons.append(f"{DISABILITY_LABELS[m.disability_kind]}残疾{m.disability_grade}级")
    return reasons


def _tekun_members(req, std, dibao, counted, ages, names, property_ok, rigid_deducted, out: Outcome) -> list[dict]:
    """特困人员认定办法第六条 (三无), for each counted member: 无劳动能力; no legal supporter, or none
    able to support (``has_able_supporter`` false: an elderly spouse who cannot, a child in
    prison …); 无生活来源: the member's own income below the 低保标准 — 基础养老金, 优抚金 and
    高龄津贴 are not income (第六条, nationwide; the other kinds left out of 低保 income are left out
    too; the kinds are the ``TEKUN_INCOME`` exclusions in force), wages net of the employment cost, and for a one-person household the rigid expenses
    deducted as for 低保 — and the family's property within the limits. Amount per member: the
    basic standard of the chosen 供养 mode + the care standard of the member's self-care tier."""
    sole = len(counted) == 1
    rate = std.decimal("employment_cost_rate")
    basic = basic_text = None
    found = []
    for i in counted:
        m = req.members[i]
        reasons = _tekun_reasons(m, ages[i])
        if not reasons:
            continue
        who = "单人户，" if sole else f"{names[i]}"
        if m.has_able_supporter is not False:
            out.say(
                f"{who}无劳动能力（{'、'.join(reasons)}），但"
                + ("有具备赡养、抚养、扶养能力的法定义务人" if m.has_able_supporter else "未说明有无法定义务人")
                + " → 不认定特困",
                "tekun",
            )
            continue
        own = Decimal(0)
        not_income = tekun_excluded_kinds(std)
        for inc in req.incomes:
            if inc.member == i and inc.kind not in not_income:
                own += inc.annual_amount * (1 - rate) if inc.kind == "wages" else inc.annual_amount
        if sole:
            own = max(Decimal(0), own - rigid_deducted)
        if not (own < 12 * dibao and property_ok):
            out.say(
                f"{who}无劳动能力、无法定义务人，但"
                + (f"本人月收入 {yuan(own / 12)} 元不低于低保标准" if own >= 12 * dibao else "家庭财产不符合")
                + " → 不认定特困",
                "tekun",
            )
            continue
        mode = req.tekun_mode
        if basic is None:
            if std.has("tekun_basic_monthly", mode):
                basic = std.decimal("tekun_basic_monthly", mode)
                basic_text = f"{yuan(basic)} 元"
            else:
                multiple = std.decimal("tekun_basic_multiple", mode)
                basic = dibao * multiple
                basic_text = f"{multiple.normalize():f} × {yuan(dibao)} = {yuan(basic)} 元"
            floor = dibao * Decimal("1.3")
            if basic < floor:
                out.warnings.append(f"特困基本生活标准 {yuan(basic)} 元低于低保标准的1.3倍（{yuan(floor)} 元）")
        care = std.decimal("tekun_care_monthly", m.self_care)
        total = (basic + care).quantize(CENT, ROUND_HALF_UP)
        mode_label = dict(TEKUN_MODES)[mode]
        out.say(
            f"{who}无劳动能力（{'、'.join(reasons)}），无法定义务人或法定义务人无履行能力，"
            f"本人月收入 {yuan(own / 12)} 元 < 低保标准，财产符合 → 特困（{mode_label}）",
            "tekun",
        )
        out.say(
            f"{'' if sole else names[i]}基本生活标准 {basic_text} + 照料护理标准（{SELF_CARE_LABELS[m.self_care]}）"
            f"{yuan(care)} 元 = {yuan(total)} 元",
            "tekun_care",
        )
        found.append({"member": i, "name": names[i], "self_care": m.self_care, "basic": basic, "care": care,
                      "amount": total})  # fmt: skip
    return found


def _tekun_out(tekun: list[dict]) -> list[dict]:
    return [
        {"member": t["member"], "name": t["name"], "self_care": t["self_care"], "basic": money(t["basic"]),
         "care": money(t["care"]), "amount": money(t["amount"])}
        for t in tekun
    ]  # fmt: skip


def _with_rest(req: AssessmentIn, std: Standards, tekun: list[dict], out: Outcome, names: list[str]) -> dict:
    """Some counted members are 特困 (supported on their own): the rest of the household — its
    other counted members, their incomes, the family's expenses and property — is assessed for
    低保, 边缘 and 刚性支出 as a family of its own. The result is the rest's (classification, amount,
    components with member numbers of the whole request), with ``tekun_members`` beside it."""
    out_idx = {t["member"] for t in tekun}
    keep = [i for i, m in enumerate(req.members) if m.counted and i not in out_idx]
    renumber = {old: new for new, old in enumerate(keep)}
    rest_req = req.model_copy(
        update={
            "members": [req.members[i].model_copy(update={"name": names[i]}) for i in keep],
            "incomes": [inc.model_copy(update={"member": renumber[inc.member]}) for inc in req.incomes
                        if inc.member in renumber],
            "temp_assistance": None,
        }
    )  # fmt: skip
    out.say(
        f"{'、'.join(t['name'] for t in tekun)}认定为特困人员，单独供养，月 "
        f"{yuan(sum((t['amount'] for t in tekun), Decimal(0)))} 元；其余成员"
        f"（{'、'.join(names[i] for i in keep)}）按家庭另行测算：",
        "tekun",
    )
    rest = assess(rest_req, std, _family_only=True)
    for c in rest["components"]:
        if c["member"] is not None:
            c["member"] = keep[c["member"]]
    for ref in rest["rule_refs"]:
        if ref not in out.refs:
            out.refs.append(ref)
    tekun_total = sum((t["amount"] for t in tekun), Decimal(0))
    explanation = out.explanation + rest["explanation"]
    explanation.append(
        f"另：{'、'.join(t['name'] for t in tekun)}的特困人员供养 {yuan(tekun_total)} 元/月，与上述金额分别认定、分别发放"
    )
    temp = None
    if req.temp_assistance:  # 临时救助 for the whole household
        extra = Outcome()
        temp = _temp_assistance(req, std, std.decimal("dibao_monthly"), sum(1 for m in req.members if m.counted), extra)
        explanation += extra.explanation
        out.refs += [r for r in extra.refs if r not in out.refs]
    return {
        **rest,
        "tekun_mode": req.tekun_mode,
        "tekun_members": _tekun_out(tekun),
        "tekun_amount": money(tekun_total),
        "explanation": explanation,
        "warnings": out.warnings + [w for w in rest["warnings"] if w not in out.warnings],
        "rule_refs": out.refs,
        "temp_assistance": temp,
    }


def _topup_reasons(m: MemberIn, age: int) -> list[str]:
    reasons = []
    if age >= 60:
        reasons.append("年满60周岁")
    if age < 18:
        reasons.append("未成年")
    if severe_for_topup(m):
        reasons.append("重度残疾")
    if m.serious_illness:
        reasons.append("重病")
    return reasons


def _topups(req, std, counted, ages, names, out: Outcome) -> list[dict]:
    """分类施保 (民发〔2021〕57号 第二十七条): one amount per qualifying counted member, counted once."""
    qualifying = [(i, _topup_reasons(req.members[i], ages[i])) for i in counted]
    qualifying = [(i, r) for i, r in qualifying if r]
    if not qualifying:
        return []
    rate = std.decimal("category_topup_monthly")
    who = "、".join(names[i] + "（" + "、".join(r) + "）" for i, r in qualifying)
    out.say(
        f"分类施保：{who} 共 {len(qualifying)} 人 × {yuan(rate)} 元 = {yuan(rate * len(qualifying))} 元",
        "topup",
    )
    return [{"item": "category_topup", "member": i, "amount": rate} for i, _ in qualifying]


def _single_persons(req, std, dibao, counted, ages, names, *, quiet: bool, out: Outcome | None = None) -> list[dict]:
    """单人户: an adult member with 重残 or 重病 whose own counted income is below the standard is
    covered alone: gap = standard − own monthly income (rounded by the rule) + 分类施保."""
    if not bool(std.get("single_person_enabled")):
        return []
    rule = std.get("rounding")
    rate = None
    comps = []
    for i in counted:
        m = req.members[i]
        if ages[i] < 18 or not (severe_for_topup(m) or m.serious_illness):
            continue
        own = Decimal(0)
        # a 单人户's own income leaves out what a 特困 person's does (as it always has here)
        for inc in req.incomes:
            if inc.member == i and inc.kind not in tekun_excluded_kinds(std):
                own += (
                    inc.annual_amount * (1 - std.decimal("employment_cost_rate"))
                    if inc.kind == "wages"
                    else inc.annual_amount
                )
        own_monthly = own / 12
        if own_monthly >= dibao:
            if out and not quiet:
                out.say(f"{names[i]}本人月收入 {yuan(own_monthly)} 元不低于低保标准，不参照单人户")
            continue
        gap = _round(dibao - own_monthly, rule)
        rate = std.decimal("category_topup_monthly") if rate is None else rate
        comps += [{"item": "gap", "member": i, "amount": gap}, {"item": "category_topup", "member": i, "amount": rate}]
        if out and not quiet:
            why = "、".join(r for r in _topup_reasons(m, ages[i]) if r in ("重度残疾", "重病"))
            out.say(
                f"{names[i]}（{why}）参照单人户纳入低保：{yuan(dibao)} − 本人月收入 {yuan(own_monthly)} → {yuan(gap)} 元，"
                f"加分类施保 {yuan(rate)} 元",
                "single",
                "alone",
            )
    return comps


def _rigid(req, std, rigid, before_expenses, annual, n, property_ok, out: Outcome) -> bool:
    """2025 刚性支出困难家庭认定办法: rigid expenses of the last 12 months ≥ the configured share of
    the family's income (before deducting them), per-capita annual income under the local line."""
    if not property_ok or rigid <= 0:
        return False
    share = std.decimal("rigid_expense_share")
    line = std.decimal("rigid_expense_income_line_annual")
    per_capita_annual = annual / n
    ok = rigid >= share * before_expenses and per_capita_annual < line
    out.say(
        f"刚性支出 {yuan(rigid)} 元，家庭收入 {yuan(before_expenses)} 元 × {_pct(share)} = {yuan(share * before_expenses)} 元；"
        f"人均年收入 {yuan(per_capita_annual)} 元，收入线 {yuan(line)} 元 → {'刚性支出困难家庭' if ok else '不符合'}",
        "rigid",
    )
    return ok


def _temp_assistance(req, std, dibao, n, out: Outcome) -> dict:
    """临时救助 (2018 临时救助意见; the formula is local, here the 甘肃 rule of the domain sheet):
    standard × counted members × months of hardship, the months limited by kind, the amount capped
    by kind; up to the township limit the township approves (暂行办法第四十八条, delegated)."""
    t = req.temp_assistance
    max_months = int(std.get("temp_assistance_months", t.kind))
    months = min(t.months, max_months)
    cap = std.decimal("temp_assistance_cap", t.kind)
    raw = dibao * n * months
    amount = min(raw, cap).quantize(CENT, ROUND_HALF_UP)
    limit = std.decimal("temp_assistance_township_limit")
    approval = "township" if amount <= limit else "county"
    label = "急难型" if t.kind == "emergency" else "支出型"
    out.say(
        f"临时救助（{label}）：{yuan(dibao)} × {n} 人 × {months} 个月"
        + (f"（申请 {t.months} 个月，上限 {max_months} 个月）" if t.months > max_months else "")
        + f" = {yuan(raw)} 元，单次上限 {yuan(cap)} 元 → {yuan(amount)} 元；"
        + ("乡镇审批" if approval == "township" else f"超过乡镇审批限额 {yuan(limit)} 元，报县级审批"),
    )
    out.refs.append("2018 临时救助意见；国务院令第649号 第四十八条")
    return {"kind": t.kind, "months": months, "amount": money(amount), "cap": money(cap), "approval": approval}


def assessment_run(data: dict | AssessmentIn) -> dict:
    """Validate ``data`` and assess. Raises django ``ValidationError`` with ``{field: 中文}``
    (bad input, unknown region, missing standard), never a 500."""
    try:
        req = data if isinstance(data, AssessmentIn) else AssessmentIn.model_validate(data)
    except SchemaError as exc:
        raise ValidationError(errors_zh(exc.errors())) from None
    if not Region.objects.filter(code=req.region_code).exists():
        raise ValidationError({"region_code": f"区划代码 {req.region_code} 不存在"})
    if req.as_of is None:
        req.as_of = dt.date.today()
    overrides = req.standards.as_overrides() if req.standards else {}
    std = standards_for(region_code=req.region_code, hukou_type=req.hukou_type, as_of=req.as_of, overrides=overrides)
    try:
        return assess(req, std)
    except MissingStandard as exc:
        raise ValidationError({"standards": str(exc)}) from None

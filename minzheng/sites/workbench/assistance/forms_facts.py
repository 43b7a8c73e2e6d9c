"""The investigation's household facts (``household_facts``, :class:`HouseholdFactsIn`) as a page a
township caseworker fills in: one row per current member of the case's household (counted or not
with the reason, disability, illness, labour capacity, self-care, able supporter), one row per
member for their own incomes by kind (元/年), then the household's rigid expenses and property.

The inputs are plain Django fields added to the action's form (:class:`..cases.forms.ActionForm`);
:meth:`FactsFields.payload` turns them into exactly the JSON the API takes, and the pydantic model
stays the one judge (its messages come back onto these inputs through :meth:`FactsFields.field_for`).
"""

from __future__ import annotations

from decimal import Decimal

from django import forms

from minzheng.business.assistance.assessment import (
    DISABILITY_LABELS,
    EXPENSE_LABELS,
    INCOME_LABELS,
    SELF_CARE_LABELS,
    age_on,
    family_excluded_kinds,
    yuan,
)
from minzheng.business.assistance.casework import case_facts
from minzheng.business.assistance.schemas import NOT_COUNTED_REASONS
from minzheng.foundation.validation import is_digits

COUNTED = "counted"
COUNTED_CHOICES = [(COUNTED, "计入家庭人口"), *[(k, f"不计入：{v}") for k, v in NOT_COUNTED_REASONS.items()]]
TRISTATE = [("", "未确定"), ("true", "有"), ("false", "无")]
INCOME_KINDS = list(INCOME_LABELS)  # the schema's kinds, counted ones first
PROPERTY = [
    ("financial_assets", "金融资产（元）", True),
    ("houses", "住房（套）", False),
    ("non_residential_houses", "非住宅房产（套）", False),
    ("vehicles", "机动车（辆）", False),
    ("business_registrations", "市场主体登记（户）", False),
]
MONEY = {"min_value": 0, "max_digits": 14, "decimal_places": 2}
MONEY_ERRORS = {"invalid": "请填写金额（元）", "min_value": "不能为负数", "max_digits": "金额过大",
                "max_whole_digits": "金额过大", "max_decimal_places": "最多保留两位小数"}  # fmt: skip
COUNT_ERRORS = {"invalid": "请填写整数", "min_value": "不能为负数", "max_value": "不超过 %(limit_value)s"}


def _money(label: str) -> forms.DecimalField:
    return forms.DecimalField(label=label, required=False, **MONEY, error_messages=MONEY_ERRORS,
                              widget=forms.NumberInput(attrs={"step": "0.01", "inputmode": "decimal",
                                                              "placeholder": "0"}))  # fmt: skip


def _tri(value) -> str:
    return "" if value is None else "true" if value else "false"


def _untri(value: str):
    return None if value in ("", None) else value == "true"


def income_label(kind: str, excluded: set[str]) -> str:
    return INCOME_LABELS[kind] + ("（不计入）" if kind in excluded else "")


def _previous_facts(case) -> dict | None:
    """A 复核 or 变更 starts from what the household's last investigation found (prefill only: the
    investigator confirms or corrects every row, and the new case keeps its own revision)."""
    from minzheng.engines.cases.models import Case

    if case.household_id is None:
        return None
    earlier = (
        Case.objects.filter(household_id=case.household_id, data__has_key="evidence")
        .exclude(pk=case.pk)
        .order_by("-pk")
        .first()
    )
    return case_facts(earlier) if earlier else None


class FactsFields:
    """The household-facts inputs of one action form, for the members of ``household`` (the
    composite data field ``household_facts`` of the case page, :mod:`..cases.composite`)."""

    template = "workbench/assistance/_facts.html"

    def __init__(self, form: forms.Form, *, case, today):
        self.form = form
        self.outside = set(form.fields)  # the action's other inputs
        household = case.household
        # the kinds left out of income where the household lives, today (the assessment's definition)
        self.excluded = (
            family_excluded_kinds(
                region_code=household.region_code,
                hukou_type=household.hukou_type,
                on=today,
                program=case.spec.params.get("program", ""),
            )
            if household
            else set()
        )
        rows = household.memberships.filter(valid_to__isnull=True).select_related("person") if household else []
        self.members = sorted(rows, key=lambda m: (m.relation != "head", m.person_id))
        revision = case_facts(case) or _previous_facts(case)
        before = revision["household_facts"] if revision else {}
        known = {m.get("person_id"): (i, m) for i, m in enumerate(before.get("members", []))}
        self.rows = []
        for i, ms in enumerate(self.members):
            p = ms.person
            index, prev = known.get(p.pk, (None, None))
            self._member_fields(i, p, prev)
            own = {x["kind"]: x["annual_amount"] for x in before.get("incomes", []) if x["member"] == index}
            for kind in INCOME_KINDS:
                name = f"m{i}_inc_{kind}"
                form.fields[name] = _money(f"{p.name} {INCOME_LABELS[kind]}")
                if kind in own and index is not None:
                    form.initial.setdefault(name, own[kind])
            self.rows.append({"index": i, "person": p, "relation": ms.get_relation_display(),
                              "age": age_on(p.birth_date, today) if p.birth_date else ""})  # fmt: skip
        spent = {x["kind"]: x["annual_amount"] for x in before.get("expenses", [])}
        for kind, label in EXPENSE_LABELS.items():
            form.fields[f"exp_{kind}"] = _money(f"{label}支出（元/年）")
            if kind in spent:
                form.initial.setdefault(f"exp_{kind}", spent[kind])
        prop = before.get("property", {})
        for key, label, is_money in PROPERTY:
            count = forms.IntegerField(
                label=label, required=False, min_value=0, max_value=20, error_messages=COUNT_ERRORS
            )
            form.fields[f"p_{key}"] = _money(label) if is_money else count
            if key in prop:
                form.initial.setdefault(f"p_{key}", prop[key])

    def _member_fields(self, i: int, p, prev: dict | None) -> None:
        f, initial = self.form.fields, self.form.initial
        f[f"m{i}_counted"] = forms.ChoiceField(label=f"{p.name} 是否计入", choices=COUNTED_CHOICES)
        f[f"m{i}_disability_kind"] = forms.ChoiceField(
            label=f"{p.name} 残疾类别", required=False, choices=[("", "无"), *DISABILITY_LABELS.items()]
        )
        f[f"m{i}_disability_grade"] = forms.TypedChoiceField(
            label=f"{p.name} 残疾等级", required=False, coerce=int, empty_value=None,
            choices=[("", "—"), *[(str(g), f"{g}级") for g in range(1, 5)]],
        )  # fmt: skip
        f[f"m{i}_serious_illness"] = forms.BooleanField(label=f"{p.name} 重病", required=False)
        f[f"m{i}_student"] = forms.BooleanField(label=f"{p.name} 在校学生", required=False)
        f[f"m{i}_labour_capacity"] = forms.ChoiceField(label=f"{p.name} 劳动能力", required=False, choices=TRISTATE)
        f[f"m{i}_self_care"] = forms.ChoiceField(label=f"{p.name} 生活自理能力", choices=SELF_CARE_LABELS.items())
        f[f"m{i}_has_able_supporter"] = forms.ChoiceField(
            label=f"{p.name} 有履行能力的法定义务人", required=False, choices=TRISTATE
        )
        src = prev or {
            "disability_kind": p.disability_kind or None, "disability_grade": p.disability_grade,
            "serious_illness": p.serious_illness, "labour_capacity": p.labour_capacity, "self_care": p.self_care,
        }  # fmt: skip
        counted = src.get("counted", True)
        initial.setdefault(f"m{i}_counted", COUNTED if counted else src.get("not_counted_reason") or "")
        initial.setdefault(f"m{i}_disability_kind", src.get("disability_kind") or "")
        grade = src.get("disability_grade")
        initial.setdefault(f"m{i}_disability_grade", str(grade) if grade else "")
        initial.setdefault(f"m{i}_serious_illness", bool(src.get("serious_illness")))
        initial.setdefault(f"m{i}_student", bool(src.get("student")))
        initial.setdefault(f"m{i}_labour_capacity", _tri(src.get("labour_capacity")))
        initial.setdefault(f"m{i}_self_care", src.get("self_care") or "full")
        initial.setdefault(f"m{i}_has_able_supporter", _tri(src.get("has_able_supporter")))

    # ------------------------------------------------------------ the page

    def bound(self, name: str):
        return self.form[name]

    @property
    def member_rows(self):
        out = []
        for r in self.rows:
            i = r["index"]
            cells = [self.bound(f"m{i}_{k}") for k in ("counted", "disability_kind", "disability_grade",
                                                        "serious_illness", "labour_capacity", "self_care",
                                                        "has_able_supporter", "student")]  # fmt: skip
            out.append({**r, "cells": cells})
        return out

    @property
    def income_headers(self):
        return [income_label(k, self.excluded) for k in INCOME_KINDS]

    @property
    def income_rows(self):
        return [{**r, "cells": [self.bound(f"m{r['index']}_inc_{k}") for k in INCOME_KINDS]} for r in self.rows]

    @property
    def expense_fields(self):
        return [self.bound(f"exp_{k}") for k in EXPENSE_LABELS]

    @property
    def property_fields(self):
        return [self.bound(f"p_{k}") for k, _, _ in PROPERTY]

    @property
    def errors(self) -> list[str]:
        """Every error of a facts input, with its label (shown together above the tables)."""
        names = [n for n in self.form.fields if n not in self.outside]
        return [f"{self.form.fields[n].label}：{e}" for n in names for e in self.form.errors.get(n, [])]

    # ------------------------------------------------------------ the data

    def payload(self, cleaned: dict) -> dict:
        members, incomes = [], []
        self.income_fields = []
        for i, ms in enumerate(self.members):
            p = ms.person
            counted = cleaned.get(f"m{i}_counted") or COUNTED
            members.append({
                "person_id": p.pk, "name": p.name, "birth_date": p.birth_date.isoformat() if p.birth_date else None,
                "relation": ms.relation, "counted": counted == COUNTED,
                "not_counted_reason": None if counted == COUNTED else counted,
                "disability_kind": cleaned.get(f"m{i}_disability_kind") or None,
                "disability_grade": cleaned.get(f"m{i}_disability_grade"),
                "serious_illness": bool(cleaned.get(f"m{i}_serious_illness")),
                "student": bool(cleaned.get(f"m{i}_student")),
                "labour_capacity": _untri(cleaned.get(f"m{i}_labour_capacity")),
                "self_care": cleaned.get(f"m{i}_self_care") or "full",
                "has_able_supporter": _untri(cleaned.get(f"m{i}_has_able_supporter")),
            })  # fmt: skip
            for kind in INCOME_KINDS:
                amount = cleaned.get(f"m{i}_inc_{kind}")
                if amount:
                    incomes.append({"member": i, "kind": kind, "annual_amount": str(amount)})
                    self.income_fields.append(f"m{i}_inc_{kind}")
        expenses = [
            {"kind": k, "annual_amount": str(cleaned[f"exp_{k}"])} for k in EXPENSE_LABELS if cleaned.get(f"exp_{k}")
        ]
        prop = {k: cleaned.get(f"p_{k}") or 0 for k, _, _ in PROPERTY}
        prop["financial_assets"] = str(prop["financial_assets"])
        return {"members": members, "incomes": incomes, "expenses": expenses, "property": prop}

    def field_for(self, parts: list[str]) -> str | None:
        """``household_facts.members.1.disability_grade`` → ``m1_disability_grade``; a member-level
        error (``members.1``) goes to the member's first input; ``property.houses`` → ``p_houses``."""
        if len(parts) >= 2 and parts[0] == "members" and is_digits(parts[1]):
            i = parts[1]
            name = f"m{i}_{parts[2]}" if len(parts) > 2 else f"m{i}_disability_kind"
            if parts[2:3] == ["not_counted_reason"]:
                name = f"m{i}_counted"
            return name if name in self.form.fields else None
        if len(parts) >= 2 and parts[0] == "property":
            return f"p_{parts[1]}" if f"p_{parts[1]}" in self.form.fields else None
        if len(parts) >= 2 and parts[0] == "incomes" and is_digits(parts[1]):
            fields = getattr(self, "income_fields", [])
            return fields[int(parts[1])] if int(parts[1]) < len(fields) else None
        return None


def facts_summary(facts: dict) -> str:
    """The facts of an investigation in one line, for the case's timeline."""
    members = facts.get("members", [])
    counted = [m.get("name", "") for m in members if m.get("counted", True)]
    out = [f"计入 {len(counted)} 人：{'、'.join(counted) or '无'}"]
    left = [f"{m.get('name', '')}（{NOT_COUNTED_REASONS.get(m.get('not_counted_reason'), '')}）"
            for m in members if not m.get("counted", True)]  # fmt: skip
    if left:
        out.append("不计入：" + "、".join(left))
    incomes = [
        f"{members[x['member']].get('name', '') if x['member'] < len(members) else ''} "
        f"{INCOME_LABELS.get(x['kind'], x['kind'])} {yuan(Decimal(x['annual_amount']))}"
        for x in facts.get("incomes", [])
    ]
    out.append("收入（元/年）：" + ("；".join(incomes) or "无"))
    return "；".join(out)

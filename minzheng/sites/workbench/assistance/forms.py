"""Forms of the 低保 line's own pages: the assessment (测算) and 提标测算; and the 发起变更 form the
enrollment page shows for the line's programs (:mod:`..benefits.changes`).

The forms only parse and check the shape of the input; the rules (what a household qualifies for)
are the assistance line's and come back as Chinese ``ValidationError`` messages.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django import forms
from django.utils import timezone

from minzheng.business.assistance.assessment import EXPENSE_LABELS, INCOME_LABELS
from minzheng.business.assistance.roll import CHANGE_KINDS, MEMBER_REASONS, TEKUN_MODES
from minzheng.engines.benefits.workflow import REASONS
from minzheng.foundation.accounts.scoping import ALL, user_prefixes
from minzheng.foundation.regions.selectors import village_choices
from minzheng.foundation.registry.models import DisabilityKind, HukouType, Relation, SelfCare

from ..common.forms import MonthField, RegionChoiceMixin

TRI = [("", "未评定"), ("true", "有"), ("false", "无")]
SUPPORTER = [("", "未说明"), ("true", "有"), ("false", "无")]
DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
MONEY = {"min_value": 0, "max_digits": 14, "decimal_places": 2, "required": False}
COUNTED_INCOMES = ("wages", "business", "property", "transfer")


def _tri(value):
    return {"true": True, "false": False}.get(value)


class AssessHouseholdForm(forms.Form):
    household = forms.IntegerField(widget=forms.HiddenInput, required=False)
    region_code = forms.CharField(label="所在村(社区)区划代码", max_length=12, help_text="12位统计用区划代码")
    hukou_type = forms.ChoiceField(label="户籍类型", choices=HukouType.choices)
    as_of = forms.DateField(label="测算日期", widget=DATE, help_text="按该日有效的保障标准测算")
    tekun_mode = forms.ChoiceField(
        label="特困供养方式", choices=[("dispersed", "分散供养"), ("centralised", "集中供养")], initial="dispersed"
    )
    temp_kind = forms.ChoiceField(
        label="同时测算临时救助",
        choices=[("", "不测算"), ("emergency", "急难型"), ("expenditure", "支出型")],
        required=False,
    )
    temp_months = forms.IntegerField(
        label="临时救助困难月数", min_value=1, max_value=24, required=False, help_text="支出型按困难持续月数"
    )

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        prefixes = user_prefixes(user, "benefits.assess") if user else ALL
        choices = None if prefixes is ALL else village_choices(prefixes)
        if choices:
            self.fields["region_code"] = forms.ChoiceField(
                label="所在村(社区)", choices=[("", "请选择村(社区)"), *choices]
            )


class AssessMemberForm(forms.Form):
    """One member with his or her own annual incomes (元/年), as the request's members and incomes."""

    name = forms.CharField(label="姓名", max_length=50, required=False)
    relation = forms.ChoiceField(label="与户主关系", choices=Relation.choices)
    birth_date = forms.DateField(label="出生日期", widget=DATE, required=False, help_text="无身份证号时必填")
    id_number = forms.CharField(label="身份证号", max_length=18, required=False, help_text="可不填")
    counted = forms.BooleanField(label="共同生活，计入家庭成员", required=False, initial=True)
    disability_kind = forms.ChoiceField(label="残疾类别", choices=[("", "无"), *DisabilityKind.choices], required=False)
    disability_grade = forms.TypedChoiceField(
        label="残疾等级",
        choices=[("", "无")] + [(i, f"{i}级") for i in range(1, 5)],
        coerce=int,
        empty_value=None,
        required=False,
    )
    serious_illness = forms.BooleanField(label="重病", required=False)
    self_care = forms.ChoiceField(label="生活自理能力", choices=SelfCare.choices)
    labour_capacity = forms.ChoiceField(label="劳动能力", choices=TRI, required=False)
    student = forms.BooleanField(label="在校学生", required=False)
    has_able_supporter = forms.ChoiceField(
        label="有履行能力的法定义务人", choices=SUPPORTER, required=False, help_text="特困认定须为“无”"
    )

    INCOME_KINDS = tuple(INCOME_LABELS)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for kind, label in INCOME_LABELS.items():
            field = forms.DecimalField(label=label, **MONEY)
            field.widget.attrs.update({"inputmode": "decimal", "placeholder": "0"})
            self.fields[f"income_{kind}"] = field

    def personal_fields(self):
        return [f for f in self if not f.name.startswith("income_") and f.name != "DELETE"]

    def counted_income_fields(self):
        return [self[f"income_{k}"] for k in COUNTED_INCOMES]

    def excluded_income_fields(self):
        return [self[f"income_{k}"] for k in INCOME_LABELS if k not in COUNTED_INCOMES]

    def has_excluded_income(self) -> bool:
        return any(f.value() not in (None, "") or f.errors for f in self.excluded_income_fields())

    def as_member(self) -> dict:
        d = self.cleaned_data
        return {
            "name": d["name"],
            "id_number": d["id_number"] or None,
            "birth_date": d["birth_date"].isoformat() if d["birth_date"] else None,
            "relation": d["relation"],
            "counted": d["counted"],
            "disability_kind": d["disability_kind"] or None,
            "disability_grade": d["disability_grade"],
            "serious_illness": d["serious_illness"],
            "self_care": d["self_care"],
            "labour_capacity": _tri(d["labour_capacity"]),
            "student": d["student"],
            "has_able_supporter": _tri(d["has_able_supporter"]),
        }

    def incomes(self) -> list[tuple[str, Decimal]]:
        return [(k, self.cleaned_data[f"income_{k}"]) for k in INCOME_LABELS if self.cleaned_data.get(f"income_{k}")]


class BaseMemberFormSet(forms.BaseFormSet):
    def clean(self):
        if any(self.errors):
            return
        kept = [f for f in self.forms if not (self.can_delete and self._should_delete_form(f))]
        if not kept:
            raise forms.ValidationError("至少需要一名家庭成员")


AssessMemberFormSet = forms.formset_factory(
    AssessMemberForm, formset=BaseMemberFormSet, extra=0, can_delete=True, max_num=30, absolute_max=30
)


class AssessMeansForm(forms.Form):
    """The household's rigid expenses of the last 12 months and its property."""

    expense_medical = forms.DecimalField(label=EXPENSE_LABELS["medical"] + "支出", **MONEY)
    expense_education = forms.DecimalField(label=EXPENSE_LABELS["education"] + "支出", **MONEY)
    expense_rehabilitation = forms.DecimalField(label=EXPENSE_LABELS["rehabilitation"] + "支出", **MONEY)
    expense_other_rigid = forms.DecimalField(label=EXPENSE_LABELS["other_rigid"] + "支出", **MONEY)
    financial_assets = forms.DecimalField(label="金融资产（元）", **MONEY)
    houses = forms.IntegerField(label="住房（套）", min_value=0, required=False, initial=1)
    non_residential_houses = forms.IntegerField(label="非住宅房产（套）", min_value=0, required=False)
    vehicles = forms.IntegerField(label="机动车（辆）", min_value=0, required=False)
    business_registrations = forms.IntegerField(label="市场主体登记（户）", min_value=0, required=False)

    EXPENSES = tuple(EXPENSE_LABELS)
    PROPERTY = ("financial_assets", "houses", "non_residential_houses", "vehicles", "business_registrations")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.widget.attrs.setdefault("inputmode", "decimal")

    def expense_fields(self):
        return [self[f"expense_{k}"] for k in self.EXPENSES]

    def property_fields(self):
        return [self[k] for k in self.PROPERTY]

    def expenses(self) -> list[tuple[str, Decimal]]:
        return [(k, self.cleaned_data[f"expense_{k}"]) for k in self.EXPENSES if self.cleaned_data.get(f"expense_{k}")]

    def property(self) -> dict:
        d = self.cleaned_data
        return {
            "financial_assets": str(d["financial_assets"] or 0),
            **{k: d[k] or 0 for k in self.PROPERTY if k != "financial_assets"},
        }


# ---------------------------------------------------------------- the roll


class SimulationForm(RegionChoiceMixin, forms.Form):
    """When the change applies, where, and up to three changed standards ("8%", "+100", "1300")."""

    as_of = MonthField(label="自哪个月起调整", help_text="测算该月起的保障标准和家庭情况")
    region_code = forms.CharField(
        label="测算范围", max_length=12, required=False, help_text="区划代码；留空为您的全部管辖区划"
    )

    region_permission = "benefits.simulate"
    region_villages = False
    region_label = "测算范围"
    CHANGES = 3

    def __init__(self, *args, **kwargs):
        from minzheng.business.assistance.simulation import CHANGEABLE, label

        today = timezone.localdate()
        kwargs.setdefault("initial", {"as_of": dt.date(today.year + 1, 1, 1), "key_0": "dibao_monthly"})
        super().__init__(*args, **kwargs)
        keys = [("", "（不调整）"), *((k, label(k)) for k in CHANGEABLE)]
        for i in range(self.CHANGES):
            self.fields[f"key_{i}"] = forms.ChoiceField(label=f"调整的标准 {i + 1}", choices=keys, required=False)
            self.fields[f"change_{i}"] = forms.CharField(label=f"调整幅度 {i + 1}", max_length=20, required=False)

    def change_rows(self):
        return [(self[f"key_{i}"], self[f"change_{i}"]) for i in range(self.CHANGES)]

    def clean(self):
        from minzheng.business.assistance.simulation import change_parse

        data = super().clean()
        changes, seen = [], set()
        for i in range(self.CHANGES):
            key, text = data.get(f"key_{i}"), (data.get(f"change_{i}") or "").strip()
            if not key and not text:
                continue
            if not key:
                self.add_error(f"key_{i}", "请选择要调整的标准")
            elif not text:
                self.add_error(f"change_{i}", "请填写调整幅度，如 8%、+100 或 1300")
            elif key in seen:
                self.add_error(f"key_{i}", "同一标准只能调整一次")
            else:
                try:
                    changes.append(change_parse(key, text))
                    seen.add(key)
                except ValueError as exc:
                    self.add_error(f"change_{i}", str(exc))
        if not changes and not self.errors:
            raise forms.ValidationError("至少调整一项标准")
        data["changes"] = changes
        return data


# ---------------------------------------------------------------- changes of the roll (保障对象 发起变更)


class RollChangeForm(forms.Form):
    """发起变更: which change of the roll to open a case for (复核, 收入变化, 增员, 减员, 户主变更,
    停保) and, for a member change, who. The case decides; nothing changes on the roll here."""

    kind = forms.ChoiceField(label="变更事项", error_messages={"required": "请选择变更事项"})
    person = forms.TypedChoiceField(label="涉及成员", coerce=int, required=False,
                                    help_text="减员：离开的成员；户主变更：接续的新户主")  # fmt: skip
    new_member = forms.CharField(label="新增成员身份证号", max_length=18, required=False,
                                 help_text="增员时填写；须先在人员信息中登记")  # fmt: skip
    relation = forms.ChoiceField(label="与户主关系", choices=Relation.choices, initial="child", required=False)
    reason = forms.ChoiceField(label="变化原因", required=False)
    death_date = forms.DateField(label="死亡日期", widget=DATE, required=False, help_text="成员死亡的必填")
    mode = forms.ChoiceField(label="新的供养方式", required=False, help_text="特困人员供养方式变更时选择")
    opinion = forms.CharField(
        label="情况说明", max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, enrollment, **kwargs):
        kwargs.setdefault("auto_id", "roll_%s")
        super().__init__(*args, **kwargs)
        single = enrollment.person_id is not None
        tekun = enrollment.program_id == "tekun"
        kinds = [(k, label) for k, (_, label) in CHANGE_KINDS.items()
                 if not (single and k in ("member_add", "member_remove", "head_change")) and (tekun or k != "mode")]  # fmt: skip
        self.fields["kind"].choices = [("", "请选择"), *kinds]
        self.fields["reason"].choices = [("", "（按变更事项）"), *((c, REASONS[c]) for c in MEMBER_REASONS)]
        members = enrollment.household.memberships.filter(valid_to__isnull=True).select_related("person")
        self.fields["person"].choices = [("", "—"), *(
            (m.person_id, f"{m.person.name}（{m.get_relation_display()}）") for m in members.order_by("id"))]  # fmt: skip
        self.fields["mode"].choices = [("", "—"), *TEKUN_MODES.items()]
        if single:
            for name in ("person", "new_member", "relation", "reason", "death_date"):
                del self.fields[name]
        if not tekun:
            del self.fields["mode"]

    def clean(self):
        data = super().clean()
        kind = data.get("kind")
        if kind == "member_add" and not data.get("new_member"):
            self.add_error("new_member", "增员请填写新增成员的身份证号")
        if kind in ("member_remove", "head_change") and not data.get("person"):
            self.add_error("person", "请选择涉及的成员")
        if kind == "mode" and not data.get("mode"):
            self.add_error("mode", "请选择新的供养方式")
        return data

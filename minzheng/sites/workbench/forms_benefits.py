"""Forms of the benefits pages: standards, the assessment (测算) and changes of the roll.

The forms only parse and check the shape of the input; the rules (what a standard may hold, what
a household qualifies for, which change is allowed) are the services' and come back as Chinese
``ValidationError`` / ``Refused`` messages that the views put on the right field.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django import forms
from django.utils import timezone

from minzheng.business.assistance.assessment import EXPENSE_LABELS, INCOME_LABELS
from minzheng.engines.benefits.models import Program
from minzheng.engines.benefits.services import next_month
from minzheng.engines.benefits.workflow import REASONS
from minzheng.foundation.accounts.scoping import ALL, user_prefixes
from minzheng.foundation.parameters import standards as st
from minzheng.foundation.regions.models import Level, Region
from minzheng.foundation.regions.prefixes import prefix_q
from minzheng.foundation.regions.selectors import village_choices
from minzheng.foundation.registry.models import DisabilityKind, HukouType, Relation, SelfCare

HUKOU_ANY = [("", "不分城乡"), *HukouType.choices]
TRI = [("", "未评定"), ("true", "有"), ("false", "无")]
SUPPORTER = [("", "未说明"), ("true", "有"), ("false", "无")]
DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
MONEY = {"min_value": 0, "max_digits": 14, "decimal_places": 2, "required": False}
COUNTED_INCOMES = ("wages", "business", "property", "transfer")


def _tri(value):
    return {"true": True, "false": False}.get(value)


def scope_regions(user, permission: str, *, villages: bool, limit: int = 400):
    """Grouped choices of the regions under the user's grants for ``permission``: the granted
    regions and the levels between them and the villages, then (optionally) the villages grouped by
    township. None when the user is unrestricted or the list would be too long (type a code)."""
    prefixes = user_prefixes(user, permission)
    if prefixes is ALL or not prefixes:
        return None if prefixes is ALL else []
    upper = Region.objects.filter(prefix_q("code", prefixes)).exclude(level=Level.VILLAGE).order_by("code")
    if upper.count() > limit:
        return None
    groups = [("管辖区划", [(r.code, f"{r.name}（{r.code}）") for r in upper])]
    if villages:
        more = village_choices(prefixes)
        if more is None:
            return None
        groups += more
    return groups


class RegionChoiceMixin:
    """``region_code`` as a grouped select of the user's regions, or a 12-digit code field."""

    region_permission = "benefits.view"
    region_villages = True
    region_label = "区划"

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        choices = scope_regions(user, self.region_permission, villages=self.region_villages) if user else None
        if choices:
            # a picker needs no hint about typing codes or leaving the field empty
            self.fields["region_code"] = forms.ChoiceField(label=self.region_label, choices=choices)


class StandardsFilterForm(RegionChoiceMixin, forms.Form):
    region_code = forms.CharField(label="区划", max_length=12, help_text="12位统计用区划代码")
    hukou_type = forms.ChoiceField(label="户籍类型", choices=HukouType.choices, initial=HukouType.URBAN)
    as_of = forms.DateField(label="日期", widget=DATE)

    region_label = "区划"

    def clean_region_code(self):
        code = self.cleaned_data["region_code"].strip()
        if not Region.objects.filter(code=code).exists():
            raise forms.ValidationError(f"区划代码 {code} 不存在")
        return code


class StandardSetForm(RegionChoiceMixin, forms.Form):
    """One new value of one standard type (services.standard_set closes the row in force)."""

    region_code = forms.CharField(
        label="适用区划", max_length=12, required=False, help_text="12位代码；留空为全国默认（仅超级管理员）"
    )
    hukou_type = forms.ChoiceField(label="户籍类型", choices=HUKOU_ANY, required=False)
    mode = forms.ChoiceField(label="方式/档次", choices=[("", "—")], required=False)
    value = forms.CharField(label="数值", max_length=30)
    effective_from = forms.DateField(label="起始日期", widget=DATE, help_text="当日起适用；已发放的金额不受影响")
    source_document = forms.CharField(label="依据文件", max_length=200, help_text="文件名称及文号")

    region_permission = "standards.manage"
    region_villages = False
    region_label = "适用区划"

    def __init__(self, *args, standard_type: st.StandardType, **kwargs):
        super().__init__(*args, **kwargs)
        t = standard_type
        if t.modes:
            self.fields["mode"] = forms.ChoiceField(label="方式/档次", choices=list(t.modes))
        else:
            del self.fields["mode"]
        if t.kind == st.CHOICE:
            self.fields["value"] = forms.ChoiceField(label="取值", choices=list(t.choices))
        elif t.kind == st.FLAG:
            self.fields["value"] = forms.ChoiceField(label="取值", choices=[("1", "是"), ("0", "否")])
        else:
            self.fields["value"].help_text = t.unit
            self.fields["value"].widget.attrs["inputmode"] = "decimal"


# ---------------------------------------------------------------- assessment (测算)


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


class MonthField(forms.CharField):
    """A month (``<input type="month">``, YYYY-MM) as the date of its first day."""

    widget = forms.TextInput(attrs={"type": "month", "placeholder": "YYYY-MM"})

    def to_python(self, value):
        value = super().to_python(value)
        if not value:
            return None
        try:
            return dt.datetime.strptime(value[:7], "%Y-%m").date()
        except ValueError:
            raise forms.ValidationError("月份格式应为 YYYY-MM（如 2026-12）") from None

    def prepare_value(self, value):
        return value.strftime("%Y-%m") if isinstance(value, dt.date) else value


class EnrollmentFilterForm(forms.Form):
    q = forms.CharField(label="查找", required=False, max_length=40)
    program = forms.ChoiceField(label="保障项目", required=False)
    state = forms.ChoiceField(label="状态", required=False)
    region = forms.RegexField(
        label="区划代码",
        required=False,
        regex=r"^\d{1,12}$",
        error_messages={"invalid": "区划代码应为不超过12位的数字"},
    )

    def __init__(self, *args, **kwargs):
        from minzheng.engines.benefits.models import EnrollmentState

        super().__init__(*args, **kwargs)
        self.fields["program"].choices = [("", "全部项目"), *Program.objects.values_list("code", "short_name")]
        self.fields["state"].choices = [("", "全部状态"), *EnrollmentState.choices]


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
        from minzheng.business.assistance.roll import CHANGE_KINDS, MEMBER_REASONS, TEKUN_MODES

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


# ---------------------------------------------------------------- payroll (发放) and statistics


def _monthly_programs():
    return list(Program.objects.filter(pays_monthly=True).values_list("code", "short_name"))


class CycleFilterForm(forms.Form):
    program = forms.ChoiceField(label="保障项目", required=False)
    month = MonthField(label="发放月份", required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["program"].choices = [("", "全部项目"), *_monthly_programs()]


class CycleGenerateForm(RegionChoiceMixin, forms.Form):
    """Calculate (or recalculate) a program's payment cycle of a month, as a background job."""

    program = forms.ChoiceField(label="保障项目")
    month = MonthField(label="发放月份")
    region_code = forms.CharField(
        label="发放区划",
        max_length=12,
        required=False,
        help_text="一般按县（市、区）发放；留空为该项目全部对象所在区划",
    )

    region_permission = "payroll.prepare"
    region_villages = False
    region_label = "发放区划"

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("initial", {"month": next_month()})
        kwargs.setdefault("auto_id", "generate_%s")  # the list's filter above has a program and a month too
        super().__init__(*args, **kwargs)
        self.fields["program"].choices = _monthly_programs()


class BankExportForm(forms.Form):
    format = forms.ChoiceField(label="银行文件格式")

    def __init__(self, *args, **kwargs):
        from minzheng.engines.benefits.bankfiles import FORMATS

        super().__init__(*args, **kwargs)
        self.fields["format"].choices = [(code, f.label) for code, f in FORMATS.items()]


class ReconcileForm(forms.Form):
    file = forms.FileField(
        label="银行回盘文件", help_text="银行按本批次导出的格式回传的结果文件；按文件内容识别格式，文件名不限"
    )

    def clean_file(self):
        f = self.cleaned_data["file"]
        if f.size > 200 * 1024 * 1024:
            raise forms.ValidationError("文件不能超过200MB")
        return f


class StatisticsForm(forms.Form):
    month = MonthField(label="统计月份")
    level = forms.ChoiceField(
        label="统计层级", choices=[("township", "乡镇(街道)"), ("county", "县(市、区)"), ("city", "市")]
    )


# ---------------------------------------------------------------- 提标测算 (policy simulation)


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

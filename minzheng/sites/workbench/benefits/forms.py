"""Forms of the benefits pages: standards, the roll and its changes, payroll, statistics.

The forms only parse and check the shape of the input; the rules (what a standard may hold, what
a household qualifies for, which change is allowed) are the services' and come back as Chinese
``ValidationError`` / ``Refused`` messages that the views put on the right field.
"""

from __future__ import annotations

from django import forms

from minzheng.engines.benefits.models import Program
from minzheng.engines.benefits.services import next_month
from minzheng.engines.benefits.workflow import REASONS
from minzheng.foundation.parameters import standards as st
from minzheng.foundation.regions.models import Region
from minzheng.foundation.registry.models import HukouType, Relation

from ..common.forms import MonthField, RegionChoiceMixin

HUKOU_ANY = [("", "不分城乡"), *HukouType.choices]
DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
MONEY = {"min_value": 0, "max_digits": 14, "decimal_places": 2, "required": False}


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

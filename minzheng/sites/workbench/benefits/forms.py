"""Forms of the benefits pages: standards, the roll and its changes, payroll, statistics.

The forms only parse and check the shape of the input; the rules (what a standard may hold, what
a household qualifies for, which change is allowed) are the services' and come back as Chinese
``ValidationError`` / ``Refused`` messages that the views put on the right field.
"""

from __future__ import annotations

from django import forms

from minzheng.engines.benefits.models import Program
from minzheng.engines.benefits.services import next_month
from minzheng.foundation.parameters import standards as st
from minzheng.foundation.regions.models import Region
from minzheng.foundation.registry.models import HukouType

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


# ---------------------------------------------------------------- the roll (保障对象)


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
        from minzheng.foundation.tabular import bank_result_caps, too_large_message

        f = self.cleaned_data["file"]
        caps = bank_result_caps()
        if f.size > caps.max_bytes:
            raise forms.ValidationError(too_large_message(caps))
        return f


class StatisticsForm(forms.Form):
    month = MonthField(label="统计月份")
    level = forms.ChoiceField(
        label="统计层级", choices=[("township", "乡镇(街道)"), ("county", "县(市、区)"), ("city", "市")]
    )

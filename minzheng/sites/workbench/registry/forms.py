from django import forms
from django.conf import settings

from minzheng.foundation.accounts.scoping import ALL, user_prefixes
from minzheng.foundation.regions.selectors import village_choices
from minzheng.foundation.registry.models import DisabilityKind, HukouType, Relation, SelfCare
from minzheng.foundation.tabular import import_caps, too_large_message

TRI = [("", "未评定"), ("true", "有"), ("false", "无")]


class RegionPickerMixin:
    """Turns ``region_code`` into a grouped select of the villages the user may change."""

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        if user is None:
            return
        prefixes = user_prefixes(user, "registry.change")
        choices = None if prefixes is ALL else village_choices(prefixes)
        if choices:
            field = self.fields["region_code"]
            self.fields["region_code"] = forms.ChoiceField(
                label=str(field.label).replace("区划代码", "村(社区)"),
                choices=[("", "请选择村(社区)"), *choices],
                help_text=field.help_text,
            )


class PersonForm(RegionPickerMixin, forms.Form):
    name = forms.CharField(label="姓名", max_length=50)
    id_number = forms.CharField(label="身份证号", max_length=18, required=False, help_text="修改时留空表示不变")
    ethnicity = forms.CharField(label="民族", max_length=20, initial="汉族")
    phone = forms.CharField(label="联系电话", max_length=20, required=False, help_text="修改时留空表示不变")
    hukou_type = forms.ChoiceField(label="户籍类型", choices=HukouType.choices)
    hukou_region_code = forms.CharField(
        label="户籍地区划代码", max_length=12, required=False, help_text="12位代码；留空表示与居住地相同"
    )
    region_code = forms.CharField(label="居住地区划代码", max_length=12)
    disability_kind = forms.ChoiceField(label="残疾类别", choices=[("", "无"), *DisabilityKind.choices], required=False)
    disability_grade = forms.TypedChoiceField(
        label="残疾等级",
        choices=[("", "无")] + [(i, f"{i}级") for i in range(1, 5)],
        coerce=int,
        empty_value=None,
        required=False,
    )
    serious_illness = forms.BooleanField(label="重病", required=False)
    labour_capacity = forms.TypedChoiceField(
        label="劳动能力", choices=TRI, coerce=lambda v: v == "true", empty_value=None, required=False
    )
    self_care = forms.ChoiceField(label="生活自理能力", choices=SelfCare.choices)
    death_date = forms.DateField(label="死亡日期", required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, editing: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if not editing:  # registering: the ID number is required and nothing is "kept"
            self.fields["id_number"].required = True
            self.fields["id_number"].help_text = "18位，末位可为X"
            self.fields["phone"].help_text = ""


class HouseholdForm(RegionPickerMixin, forms.Form):
    region_code = forms.CharField(label="所在区划代码", max_length=12)
    hukou_type = forms.ChoiceField(label="户籍类型", choices=HukouType.choices)
    address = forms.CharField(label="地址", max_length=200, required=False)
    bank_name = forms.CharField(label="开户银行", max_length=60, required=False)
    bank_account = forms.CharField(label="银行账号", max_length=30, required=False, help_text="留空表示不变")


class HouseholdNewForm(HouseholdForm):
    head_id_number = forms.CharField(label="户主身份证号", max_length=18, help_text="户主须已登记且未属于其他家庭")

    field_order = ["head_id_number", "region_code", "hukou_type", "address", "bank_name", "bank_account"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["bank_account"].help_text = "可稍后补录"


class MemberAddForm(forms.Form):
    id_number = forms.CharField(label="成员身份证号", max_length=18, help_text="须已登记且未属于其他家庭")
    relation = forms.ChoiceField(label="与户主关系", choices=[c for c in Relation.choices if c[0] != "head"])


class MemberEndForm(forms.Form):
    reason = forms.CharField(label="移出原因", max_length=100)


class ImportForm(forms.Form):
    file = forms.FileField(label="家庭导入文件（.xlsx）")

    def clean_file(self):
        f = self.cleaned_data["file"]
        if not f.name.lower().endswith(".xlsx"):
            raise forms.ValidationError("请上传 .xlsx 格式的文件（可先下载模板）")
        if f.size > settings.MINZHENG_IMPORT_MAX_BYTES:
            raise forms.ValidationError(too_large_message(import_caps()))
        head = f.read(4)
        f.seek(0)
        if head != b"PK\x03\x04":
            raise forms.ValidationError("文件内容不是有效的 Excel（.xlsx）文件")
        return f

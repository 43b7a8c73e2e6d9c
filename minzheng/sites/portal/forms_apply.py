"""Forms of the application and tracking pages: labels and messages in Chinese, nothing else —
the rules live in :mod:`.apply`."""

from __future__ import annotations

from django import forms

from minzheng.foundation.registry.models import Relation

ACCEPT = "image/*,application/pdf"


class StartForm(forms.Form):
    case_type = forms.ChoiceField(label="申请事项", widget=forms.RadioSelect,
                                  error_messages={"required": "请选择申请事项", "invalid_choice": "请选择申请事项"})  # fmt: skip
    choice = forms.ChoiceField(label="为谁申请", widget=forms.RadioSelect,
                               error_messages={"required": "请选择为谁申请", "invalid_choice": "请选择为谁申请"})  # fmt: skip

    def __init__(self, *args, items=(), choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["case_type"].choices = [(ct.code, ct.name) for ct in items]
        self.fields["choice"].choices = [(o["key"], o["label"]) for o in choices]
        if len(choices) == 1:
            self.fields["choice"].initial = choices[0]["key"]


class MemberForm(forms.Form):
    name = forms.CharField(label="姓名", max_length=50, error_messages={"required": "请填写姓名"})
    id_number = forms.CharField(label="身份证号", max_length=18, min_length=18,
                                widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "text"}),
                                error_messages={"required": "请填写身份证号", "min_length": "身份证号应为18位"})  # fmt: skip
    relation = forms.ChoiceField(label="与户主（申请人）关系", choices=[("", "请选择")] + [
        c for c in Relation.choices if c[0] != Relation.HEAD], error_messages={"required": "请选择关系"})  # fmt: skip


class UploadForm(forms.Form):
    code = forms.ChoiceField(label="材料类型", error_messages={"required": "请选择材料类型"})
    file = forms.FileField(
        label="选择文件或拍照（JPG、PNG 或 PDF，不超过 10 MB）",
        widget=forms.ClearableFileInput(attrs={"accept": ACCEPT, "capture": "environment", "class": "upload"}),
        error_messages={"required": "请选择要上传的文件或拍照", "empty": "文件为空，请重新选择"},
    )

    def __init__(self, *args, materials=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["code"].choices = [(m.code, m.name + ("" if m.required else "（选交）")) for m in materials]


class SignForm(forms.Form):
    name = forms.CharField(label="签署人姓名", max_length=50, error_messages={"required": "请填写签署人姓名"})
    id6 = forms.CharField(label="签署人身份证号后六位", max_length=6, min_length=6,
                          widget=forms.TextInput(attrs={"autocomplete": "off"}),
                          error_messages={"required": "请填写身份证号后六位", "min_length": "请填写身份证号后六位"})  # fmt: skip
    agree = forms.BooleanField(label="本人已阅读上述授权内容，同意授权核对，并承诺所报情况真实",
                               required=False)  # fmt: skip


class LookupForm(forms.Form):
    number = forms.CharField(label="办件编号", max_length=30, error_messages={"required": "请填写办件编号"},
                             widget=forms.TextInput(attrs={"autocomplete": "off", "placeholder": "如 DB-330381-2025-000123"}))  # fmt: skip
    id6 = forms.CharField(label="申请人身份证号后六位", max_length=6, min_length=6,
                          widget=forms.TextInput(attrs={"autocomplete": "off"}),
                          error_messages={"required": "请填写身份证号后六位", "min_length": "请填写身份证号后六位"})  # fmt: skip

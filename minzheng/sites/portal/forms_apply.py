"""Forms of the generic application pages (choosing the item, uploads) and the tracking pages:
labels and messages in Chinese, nothing else — the rules live in :mod:`.apply`."""

from __future__ import annotations

from django import forms

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


class LookupForm(forms.Form):
    number = forms.CharField(label="办件编号", max_length=30, error_messages={"required": "请填写办件编号"},
                             widget=forms.TextInput(attrs={"autocomplete": "off", "placeholder": "如 DB-330381-2025-000123"}))  # fmt: skip
    id6 = forms.CharField(label="申请人身份证号后六位", max_length=6, min_length=6,
                          widget=forms.TextInput(attrs={"autocomplete": "off"}),
                          error_messages={"required": "请填写身份证号后六位", "min_length": "请填写身份证号后六位"})  # fmt: skip

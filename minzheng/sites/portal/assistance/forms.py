"""Forms of the means questionnaire: labels and messages in Chinese, nothing else — the rules live
in :mod:`.means`."""

from __future__ import annotations

from django import forms

from minzheng.foundation.registry.models import Relation


class MemberForm(forms.Form):
    name = forms.CharField(label="姓名", max_length=50, error_messages={"required": "请填写姓名"})
    id_number = forms.CharField(label="身份证号", max_length=18, min_length=18,
                                widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "text"}),
                                error_messages={"required": "请填写身份证号", "min_length": "身份证号应为18位"})  # fmt: skip
    relation = forms.ChoiceField(label="与户主（申请人）关系", choices=[("", "请选择")] + [
        c for c in Relation.choices if c[0] != Relation.HEAD], error_messages={"required": "请选择关系"})  # fmt: skip


class SignForm(forms.Form):
    name = forms.CharField(label="签署人姓名", max_length=50, error_messages={"required": "请填写签署人姓名"})
    id6 = forms.CharField(label="签署人身份证号后六位", max_length=6, min_length=6,
                          widget=forms.TextInput(attrs={"autocomplete": "off"}),
                          error_messages={"required": "请填写身份证号后六位", "min_length": "请填写身份证号后六位"})  # fmt: skip
    agree = forms.BooleanField(label="本人已阅读上述授权内容，同意授权核对，并承诺所报情况真实",
                               required=False)  # fmt: skip

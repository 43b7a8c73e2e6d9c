"""Forms of the payroll's approval and holds (issue 13): the approver's confirmation of the
figures seen, and the release of a held line with its reason."""

from __future__ import annotations

from django import forms


class ApproveForm(forms.Form):
    """审批 with an explicit confirmation; the figures shown come back with it, so a cycle that
    changed in between (recalculated, a hold released) is not approved unseen."""

    confirm = forms.BooleanField(
        label="我已核对上列笔数、金额、暂缓发放明细和未登记银行账号的明细，同意发放",
        error_messages={"required": "请先核对并勾选“我已核对……同意发放”，再审批"},
    )
    lines = forms.IntegerField(widget=forms.HiddenInput, min_value=0)
    total = forms.CharField(widget=forms.HiddenInput, max_length=20)
    held_lines = forms.IntegerField(widget=forms.HiddenInput, min_value=0)
    held_total = forms.CharField(widget=forms.HiddenInput, max_length=20)

    def clean(self):
        data = super().clean()
        if any(name in self.errors for name in ("lines", "total", "held_lines", "held_total")):
            raise forms.ValidationError("页面上的核对数字缺失，请刷新页面重新核对后再审批")
        return data

    def figures(self) -> dict:
        d = self.cleaned_data
        return {k: d[k] for k in ("lines", "total", "held_lines", "held_total")}


class HoldReleaseForm(forms.Form):
    line_no = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    reason = forms.CharField(
        label="解除理由",
        max_length=300,
        min_length=4,
        help_text="写明核实情况，如：经入户核实本人健在，死亡登记有误。解除后该笔随批次发放，记入审计日志。",
        error_messages={
            "required": "请写明解除暂缓发放的理由",
            "min_length": "解除理由太短，请写明核实情况（至少4个字）",
            "max_length": "解除理由不能超过300个字",
        },
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )

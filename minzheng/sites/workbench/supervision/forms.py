"""Forms built from a kind's declaration: one field per declared attribute, of the field type its
declaration names (the engine's ``kinds.attribute_clean`` still checks every value on write)."""

from __future__ import annotations

from django import forms

from minzheng.engines.supervision.kinds import BOOL, CHOICE, DATE, DECIMAL, INT, TEXT_MAX, Kind
from minzheng.engines.supervision.models import SupervisionStatus


def _field(a) -> forms.Field:
    common = {"label": a.label, "required": False, "help_text": " ".join(x for x in (a.unit, a.help) if x)}
    if a.type == INT:
        return forms.IntegerField(min_value=a.min, max_value=a.max, **common)
    if a.type == DECIMAL:
        return forms.DecimalField(min_value=a.min, max_value=a.max, decimal_places=4, **common)
    if a.type == DATE:
        return forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), **common)
    if a.type == BOOL:
        return forms.TypedChoiceField(
            choices=[("", "未填写"), ("1", "是"), ("0", "否")], coerce=lambda v: v == "1", empty_value=None, **common
        )
    if a.type == CHOICE:
        return forms.ChoiceField(choices=[("", "未填写"), *a.choices], **common)
    return forms.CharField(max_length=min(int(a.max), TEXT_MAX) if a.max is not None else TEXT_MAX, **common)


class AttributesForm(forms.Form):
    """The declared attributes of ``kind`` (with the current values as initial data), the day the
    change takes effect and its reason."""

    def __init__(self, *args, kind: Kind, current: dict | None = None, **kw):
        initial = {}
        for code, value in (current or {}).items():
            if isinstance(value, bool):
                value = "1" if value else "0"
            initial[code] = value
        super().__init__(*args, initial=initial, **kw)
        self.kind = kind
        for a in kind.attributes:
            self.fields[a.code] = _field(a)
            if a.required:
                self.fields[a.code].label = f"{a.label}（运营时必填）"
        self.fields["reason"] = forms.CharField(label="变更原因", required=False, max_length=500)

    def values(self) -> dict:
        """The changed attributes only (an untouched field is not written again)."""
        out = {}
        for a in self.kind.attributes:
            value = self.cleaned_data.get(a.code)
            before = self.initial.get(a.code)
            if isinstance(before, str) and a.type == BOOL:
                before = {"1": True, "0": False}.get(before)
            if value in ("", None) and before in ("", None):
                continue
            if value != before:
                out[a.code] = value
        return out


class StatusForm(forms.Form):
    status = forms.ChoiceField(label="新状态", choices=SupervisionStatus.choices)
    reason = forms.CharField(label="原因", max_length=500)
    effective_on = forms.DateField(label="生效日期", required=False, widget=forms.DateInput(attrs={"type": "date"}))

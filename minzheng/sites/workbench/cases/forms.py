"""Forms of the case pages (办件): the action panel of a case — one form per transition allowed
from the current step, with the opinion (意见), the action's data form and attachments — and the
small forms around it (suspend, extend, materials, objections, opening a case, search).

The data form of an action is the pydantic model its transition names (``hooks.FORMS``). Its
inputs are generated here from the model's fields, with the Chinese labels kept in
:data:`FIELD_LABELS`; the model stays the one judge of the content (the case engine validates the
data with it and its messages come back onto these fields).
"""

from __future__ import annotations

import datetime as dt
import re
import types
import typing
from decimal import Decimal

from annotated_types import Ge, Le, MaxLen, MinLen
from django import forms
from django.utils import timezone
from pydantic import BaseModel
from pydantic import ValidationError as PydanticError

from minzheng.engines.benefits.workflow import REASONS
from minzheng.engines.cases import hooks
from minzheng.engines.cases.models import CaseType, Channel
from minzheng.engines.cases.services import act_date_errors
from minzheng.foundation.validation import errors_zh

from .composite import COMPOSITES

MAX_ATTACHMENTS = 10
REGION_PREFIX = re.compile(r"^\d{2,12}$", re.ASCII)
NAME_SEPARATORS = re.compile(r"[,，、;；\s]+")

# The Chinese labels, hints, wide fields and checkbox items of the registered action forms' fields
# are the lines' registrations (hooks.case_field_labels, hooks.case_field_choices); the labels of
# values of a fixed set (``Literal``) too (hooks.case_value_labels), besides the engine's own:
GENERIC_VALUE_LABELS = {"reason": REASONS}  # the benefits engine's reasons of a change or a stop


def value_labels(name: str) -> dict[str, str]:
    """The Chinese label of each value of the field ``name`` (a ``Literal``), where one is known."""
    return GENERIC_VALUE_LABELS.get(name) or hooks.VALUE_LABELS.get(name, {})


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Any number of files (up to :data:`MAX_ATTACHMENTS`); cleans to a list."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        files = [f for f in (data if isinstance(data, list | tuple) else [data]) if f]
        if len(files) > MAX_ATTACHMENTS:
            raise forms.ValidationError(f"附件最多 {MAX_ATTACHMENTS} 个")
        if not files and self.required:
            raise forms.ValidationError("请选择文件")
        return [super(MultipleFileField, self).clean(f, initial) for f in files]


class NameListField(forms.CharField):
    """``周明、吴芳`` → ``["周明", "吴芳"]``."""

    def to_python(self, value):
        text = super().to_python(value)
        return [n for n in NAME_SEPARATORS.split(text) if n] if text else []

    def prepare_value(self, value):
        return "、".join(value) if isinstance(value, list | tuple) else value


def _base_type(annotation):
    """``bool | None`` → (bool, True); ``list[str]`` stays; anything else → (annotation, False)."""
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is typing.Union:
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        if len(args) == 1:
            return args[0], True
    return annotation, False


def _max_length(info) -> int | None:
    return next((m.max_length for m in info.metadata if isinstance(m, MaxLen)), None)


def _min_length(info) -> int | None:
    return next((m.min_length for m in info.metadata if isinstance(m, MinLen)), None)


def _bounds(info) -> dict:
    """The model's numeric constraints as Django field arguments, so the form already answers
    out-of-range input in Chinese (the model checks again when the engine validates the data)."""
    out = {}
    for m in info.metadata:
        if isinstance(m, Ge):
            out["min_value"] = m.ge
        elif isinstance(m, Le):
            out["max_value"] = m.le
        for key in ("max_digits", "decimal_places"):
            if getattr(m, key, None) is not None:
                out[key] = getattr(m, key)
    return out


def field_label(name: str, info) -> str:
    """The Chinese label of a data-form field: the model's own title, else :data:`FIELD_LABELS`."""
    return info.title or hooks.FIELD_LABELS.get(name) or name


def data_field(name: str, info) -> forms.Field:
    """The Django input of one field of a pydantic action form."""
    label = field_label(name, info)
    required = info.is_required()
    common = {"label": label, "help_text": hooks.FIELD_HELP.get(name, "") or info.description or ""}
    kind, optional = _base_type(info.annotation)
    default = None if required else info.get_default(call_default_factory=True)
    if typing.get_origin(kind) is typing.Literal:
        labels = value_labels(name)
        choices = [(v, labels.get(v, v)) for v in typing.get_args(kind)]
        if not required:
            return forms.ChoiceField(required=False, initial=default, choices=choices, **common)
        return forms.ChoiceField(choices=[("", "请选择"), *choices], error_messages={"required": f"请选择{label}"},
                                 **common)  # fmt: skip
    if kind is bool:
        if optional:
            return forms.NullBooleanField(
                required=False,
                widget=forms.Select(choices=[("unknown", "未确定"), ("true", "是"), ("false", "否")]),
                **common,
            )
        return forms.BooleanField(required=False, initial=bool(default), **common)
    if kind is dt.date:
        return forms.DateField(required=required, widget=forms.DateInput(attrs={"type": "date"}), **common)
    if kind is Decimal:
        return forms.DecimalField(
            required=required,
            initial=default,
            **_bounds(info),
            widget=forms.NumberInput(attrs={"step": "0.01", "inputmode": "decimal"}),
            **common,
        )
    if kind is int:
        bounds = {k: v for k, v in _bounds(info).items() if k in ("min_value", "max_value")}
        return forms.IntegerField(required=required, initial=default, **bounds, **common)
    if typing.get_origin(kind) is list:
        if name in hooks.FIELD_CHOICES:
            return forms.MultipleChoiceField(
                required=False,
                choices=[(c, c) for c in hooks.FIELD_CHOICES[name]],
                widget=forms.CheckboxSelectMultiple,
                **common,
            )
        return NameListField(required=required, **common)
    longest = _max_length(info)
    widget = forms.Textarea(attrs={"rows": 3}) if longest is None or longest > 100 else forms.TextInput
    return forms.CharField(required=required, min_length=_min_length(info), max_length=longest, widget=widget, **common)


def _payload_value(value):
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


class ActionForm(forms.Form):
    """One transition of a case: 意见, the fields of its data form (if any), attachments.

    Prefixed with the action code, so every action of the step can stand on one page."""

    opinion = forms.CharField(label="意见", widget=forms.Textarea(attrs={"rows": 2}), max_length=2000)
    attachments = MultipleFileField(label="附件", required=False, help_text="PDF、JPG、PNG，可多选")

    def __init__(self, *args, transition, model: type[BaseModel] | None = None, case=None, **kwargs):
        kwargs.setdefault("prefix", transition.action)
        super().__init__(*args, **kwargs)
        self.transition = transition
        self.model = model
        self.case = case
        self.data_names: list[str] = []
        self.facts = None  # the composite field's inputs (composite.COMPOSITES), e.g. a household's facts
        self.composite = None  # its field name
        opinion = self.fields["opinion"]
        opinion.required = transition.opinion_required
        opinion.error_messages["required"] = f"「{transition.name}」须填写意见"
        if not transition.opinion_required:
            opinion.help_text = "可不填"
        if model is not None:
            fields = dict(self.fields)
            self.fields.clear()
            composite = None
            for name, info in model.model_fields.items():
                if name in COMPOSITES:
                    composite = composite or name  # one per form
                    continue
                self.fields[name] = data_field(name, info)
                self.data_names.append(name)
            if composite is not None and case is not None:
                self.composite = composite
                self.facts = COMPOSITES[composite](self, case=case, today=timezone.localdate())
            self.fields.update(fields)  # opinion and attachments after the data

    @property
    def data_items(self):
        """(bound field, takes a whole row) for the template's grid."""
        return [(self[n], n in hooks.WIDE_FIELDS) for n in self.data_names]

    def payload(self) -> dict:
        """The cleaned data fields as the JSON the pydantic model reads; empty optional fields are
        left out so the model's defaults apply."""
        out = {}
        for name in self.data_names:
            value = self.cleaned_data.get(name)
            if value is None or value == "":
                continue
            out[name] = _payload_value(value)
        if self.facts is not None:
            out[self.composite] = self.facts.payload(self.cleaned_data)
        return out

    def clean(self):
        """Every error at once: what the inputs accept, and then what the model says of the whole
        (the same model the engine judges with), on the inputs it concerns."""
        cleaned = super().clean()
        if self.model is None:
            return cleaned
        payload = self.payload()
        problems = {}
        try:
            self.model.model_validate(payload)
        except PydanticError as exc:
            problems = errors_zh(exc.errors())
        if self.case is not None:  # the engine's dates of acts within sense (入户日期 not 1900-01-01)
            dates = act_date_errors(case=self.case, form=self.transition.form, data=payload, day=timezone.localdate())
            for key, message in dates.items():
                problems.setdefault(key, message)
        for key, message in problems.items():
            target = self.field_for(f"data.{key}")
            if target is not None and target in self.errors:
                continue  # the input already says what is wrong with it
            self.add_error(target, message)
        return cleaned

    def field_for(self, key: str) -> str | None:
        """The form field an engine error key (``opinion``, ``data.investigators.0``,
        ``data.household_facts.members.1.disability_grade``) belongs to."""
        parts = key.split(".")
        if len(parts) > 1 and parts[0] == "data" and parts[1] in COMPOSITES:
            return self.facts.field_for(parts[2:]) if self.facts is not None else None
        name = key.removeprefix("data.").split(".", 1)[0] if key.startswith("data.") else key
        return name if name in self.fields else None


class ReasonForm(forms.Form):
    reason = forms.CharField(label="原因", max_length=500, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, label="原因", **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reason"].label = label
        self.fields["reason"].error_messages["required"] = f"请填写{label}"


class ResumeForm(forms.Form):
    opinion = forms.CharField(label="说明", max_length=500, required=False, help_text="可不填")


class MaterialForm(forms.Form):
    code = forms.ChoiceField(label="材料类型")
    file = forms.FileField(label="文件", error_messages={"required": "请选择文件"})
    note = forms.CharField(label="说明", max_length=200, required=False)
    person = forms.TypedChoiceField(label="所属成员", required=False, coerce=int, empty_value=None,
                                    help_text="成员本人签字的授权书等，请选择是哪位成员的")  # fmt: skip

    def __init__(self, *args, spec, members=(), **kwargs):
        super().__init__(*args, prefix="material", **kwargs)
        self.fields["code"].choices = [(m.code, m.name + ("" if m.required else "（可选）")) for m in spec.materials]
        self.fields["person"].choices = [("", "不限成员")] + [(p.pk, p.name) for p in members]
        self.fields["person"].error_messages["invalid_choice"] = "请选择该家庭的成员"


class ObjectionForm(forms.Form):
    content = forms.CharField(
        label="异议内容", max_length=2000, widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "请填写异议内容"},
    )  # fmt: skip
    name = forms.CharField(label="异议人", max_length=50, required=False, help_text="可匿名")
    phone = forms.CharField(label="联系电话", max_length=20, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, prefix="objection", **kwargs)


class CaseNewForm(forms.Form):
    case_type = forms.ModelChoiceField(
        label="事项", queryset=CaseType.objects.none(), empty_label="请选择事项",
        error_messages={"invalid_choice": "请选择事项", "required": "请选择事项"},
    )  # fmt: skip
    applicant = forms.ChoiceField(label="申请人", help_text="须是该家庭的现有成员")
    channel = forms.ChoiceField(label="渠道", choices=[(Channel.WINDOW, "窗口受理"), (Channel.ASSISTED, "代办")])
    opinion = forms.CharField(
        label="申请说明", max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 2}), help_text="可不填"
    )

    def __init__(self, *args, household, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["case_type"].queryset = CaseType.objects.filter(published__isnull=False).order_by("sort", "code")
        members = household.current_members
        self.fields["applicant"].choices = [
            (str(m.person_id), f"{m.person.name}（{m.get_relation_display()}）") for m in members
        ]
        self.members = {str(m.person_id): m.person for m in members}
        if household.head_id and not self.is_bound:
            self.initial.setdefault("applicant", str(household.head_id))


def region_prefix_clean(value: str) -> str:
    """A region code or prefix from a filter box (digits only), or ''."""
    value = (value or "").strip()
    return value if REGION_PREFIX.match(value) else ""

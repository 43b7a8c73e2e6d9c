"""What a case-type definition may name, registered by the code that provides it: guards (may this
transition be taken now?), effects (what else happens in the same transaction), forms (the data an
action must carry) and document builders (the PDF a step prints).

The engine registers its generic ones in :mod:`.builtin`; a business line registers its own in
its ``apps.ready`` (e.g. ``assistance.enrol`` creates the enrollment when a 低保 case is approved).
Names in a definition that nobody registered make the definition invalid at publication.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

from pydantic import BaseModel

from minzheng.foundation.plugins import Registry

GUARDS: dict[str, Callable] = Registry("办件守卫")
EFFECTS: dict[str, Callable] = Registry("办件效果")
FORMS: dict[str, type[BaseModel]] = Registry("办件表单")
DOCUMENTS: dict[str, tuple[str, Callable]] = Registry("办件文书")  # kind → (title, builder)
ACT_DATES: dict[str, tuple[str, ...]] = {}  # form → its fields that date an act of the case (入户日期 …)
# a field of an action's data or of what effects added → {value: Chinese label}, for the history
VALUE_LABELS: dict[str, dict[str, str]] = Registry("办件数据取值名称")
VALUE_TEXTS: dict[str, Callable[[dict], str]] = Registry("办件数据摘要")
# how pages name the fields of the registered forms and of what effects added, by field name
FIELD_LABELS: dict[str, str] = Registry("办件数据字段名称")
FIELD_HELP: dict[str, str] = Registry("办件数据字段说明")
WIDE_FIELDS: set[str] = set()  # fields a page gives a whole row (long text, many checkboxes)
# list fields whose items come from a fixed set (e.g. the self-care items an assessment found unmet)
FIELD_CHOICES: dict[str, tuple[str, ...]] = Registry("办件数据可选项目")


@dataclass
class ActContext:
    """One transition being taken: what guards and effects see. Effects may add to ``case.data``
    (saved after the effects ran) and to ``messages`` (shown to the user)."""

    case: object
    user: object
    action: str
    source: str  # the step the case is leaving
    target: str
    opinion: str
    data: dict
    today: dt.date
    params: dict = field(default_factory=dict)  # the definition's params
    messages: list[str] = field(default_factory=list)


def case_guard(name: str):
    """``fn(ctx) -> str | None``: a Chinese reason to refuse, or None to allow."""

    def register(fn):
        GUARDS[name] = fn
        return fn

    return register


def case_effect(name: str):
    """``fn(ctx) -> None``; raise ``Refused``/``ValidationError`` to undo the whole transition."""

    def register(fn):
        EFFECTS[name] = fn
        return fn

    return register


def case_form(name: str):
    """A pydantic model the ``data`` of an action must satisfy; stored validated on the case."""

    def register(model):
        FORMS[name] = model
        return model

    return register


def case_act_dates(form: str, *fields: str) -> None:
    """Fields of the registered ``form`` that record when something was done for the case (the 入户
    调查 visit, the county's 复查): the engine takes them only within sense — not before the case was
    registered, not after the day of the action, not more than a year back (see
    :func:`.services.act_date_errors`)."""
    ACT_DATES[form] = tuple(dict.fromkeys(ACT_DATES.get(form, ()) + fields))


def case_value_labels(field_name: str, labels: dict[str, str]) -> None:
    """How the case's history names the values of ``field_name`` (e.g. the assessment's
    classification ``dibao`` → 低保), where a page shows what an action recorded."""
    VALUE_LABELS[field_name] = labels


def case_value_text(field_name: str, render: Callable[[dict], str]) -> None:
    """How a page sums up in one line the structured value an action recorded under ``field_name``
    (e.g. the investigation's ``household_facts`` → 计入 3 人：…), where the history shows it."""
    VALUE_TEXTS[field_name] = render


def case_field_labels(labels: dict[str, str], *, help: dict[str, str] | None = None, wide=()) -> None:
    """How pages name the fields of a line's action forms and of what its effects add to the case
    (``visit_date`` → 入户日期), with an optional hint per field and the fields that take a whole
    row. A field's own pydantic ``title`` wins over the label registered here."""
    FIELD_LABELS.update(labels)
    FIELD_HELP.update(help or {})
    WIDE_FIELDS.update(wide)


def case_field_choices(field_name: str, choices) -> None:
    """A list field of a registered form whose items come from the fixed ``choices`` (a page shows
    them as checkboxes), e.g. the self-care items 特困 assessment found unmet."""
    FIELD_CHOICES[field_name] = tuple(choices)


def case_document(kind: str, title: str):
    """``fn(case, status) -> documents.Document``: one printable document kind."""

    def register(fn):
        DOCUMENTS[kind] = (title, fn)
        return fn

    return register


def unregistered(spec) -> list[str]:
    """Names a definition uses that no code registered."""
    missing = []
    for t in spec.transitions:
        missing += [f"guard:{g}" for g in t.guards if g not in GUARDS]
        missing += [f"effect:{e}" for e in t.effects if e not in EFFECTS]
        missing += [f"document:{d}" for d in t.documents if d not in DOCUMENTS]
        if t.form and t.form not in FORMS:
            missing.append(f"form:{t.form}")
    for s in spec.steps:
        missing += [f"document:{d}" for d in s.documents if d not in DOCUMENTS]
    return missing

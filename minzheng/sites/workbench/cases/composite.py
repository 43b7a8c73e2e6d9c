"""Composite data fields of the case page: a field of an action's form that is not one input but a
page of its own (the assistance line's ``household_facts``: a table per member). A line registers,
per field name, a class the action form builds when its model has that field::

    class Fields:
        template = "workbench/<area>/_<field>.html"  # rendered inside the action form, as ``facts``
        def __init__(self, form, *, case, today): ...  # adds its inputs to ``form.fields``
        def payload(self, cleaned_data) -> dict: ...   # the JSON the pydantic model reads
        def field_for(self, parts) -> str | None: ...  # the input an engine error key points at

The generic form and page know no such field by name (see :class:`.forms.ActionForm`).
"""

from __future__ import annotations

from minzheng.foundation.plugins import Registry

COMPOSITES: dict[str, type] = Registry("办件页组合字段")


def composite_field(field_name: str):
    """Register the class that builds the inputs of the composite data field ``field_name``."""

    def register(cls):
        if not getattr(cls, "template", None):
            raise TypeError(f"{cls.__qualname__} must name its template")
        COMPOSITES[field_name] = cls
        return cls

    return register

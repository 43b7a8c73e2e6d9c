"""How the enrollment page (保障对象) opens a change of the roll, per program: the line that owns a
program registers its form (which change, who), the function that opens the case deciding it, the
case types the page lists as the enrollment's changes, and how the amount's components read. The
benefits pages know no line by name; an enrollment of a program nobody registered shows no
发起变更 form.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from django import forms

from minzheng.foundation.plugins import Registry


@dataclass(frozen=True)
class RollChanges:
    """A line's changes of its programs' enrollments.

    ``form(data=None, *, enrollment)`` is the 发起变更 form; ``open(*, user, enrollment, data)``
    opens the case from the form's cleaned data and returns it (raising ``ValidationError`` /
    ``PermissionDenied`` / ``Refused`` with Chinese messages); ``case_types`` are the codes of the
    cases listed on the page; ``components`` names the items of the amount's composition."""

    form: type[forms.Form]
    open: Callable
    case_types: tuple[str, ...] = ()
    components: dict[str, str] = field(default_factory=dict)


ROLL_CHANGES: dict[str, RollChanges] = Registry("保障对象变更办理")  # program code → RollChanges


def roll_changes_register(programs, changes: RollChanges) -> None:
    """Register ``changes`` for the enrollments of every program code in ``programs``."""
    for code in programs:
        ROLL_CHANGES[code] = changes


def roll_changes(program_code: str) -> RollChanges | None:
    return ROLL_CHANGES.get(program_code)

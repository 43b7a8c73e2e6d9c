"""The 发起变更 of the line's enrollments, as the enrollment page opens it (:mod:`..benefits.changes`):
复核, 收入变化, 增员, 减员, 户主变更, 供养方式变更 and 停保, each a case of the line
(:func:`minzheng.business.assistance.roll.roll_case_open`); the roll itself changes only by the
county's decision in that case."""

from __future__ import annotations

from django.core.exceptions import ValidationError

from minzheng.business.assistance.policy import PROGRAMS
from minzheng.business.assistance.roll import roll_case_open
from minzheng.foundation.registry import selectors as registry_selectors

from ..benefits.changes import RollChanges, roll_changes_register
from .forms import RollChangeForm
from .labels import COMPONENTS

ROLL_CASE_TYPES = ("assistance_review", "dibao_change", "assistance_stop")


def roll_change_open(*, user, enrollment, data: dict):
    """Open the case of the change ``data`` (the cleaned :class:`.forms.RollChangeForm`) asks for."""
    person = None
    if data["kind"] == "member_add":
        person = registry_selectors.person_search(user=user, q=data["new_member"].strip().upper()).first()
        if person is None:
            raise ValidationError({"new_member": "找不到该身份证号的人员，请先在人员信息中登记新增成员"})
    elif data.get("person"):
        person = enrollment.household.memberships.get(person_id=data["person"], valid_to__isnull=True).person
    return roll_case_open(
        user=user, enrollment=enrollment, kind=data["kind"], person=person, relation=data.get("relation") or "",
        reason=data.get("reason") or "", death_date=data.get("death_date"), mode=data.get("mode") or "",
        opinion=data["opinion"],
    )  # fmt: skip


def register() -> None:
    roll_changes_register(
        [code for code, *_ in PROGRAMS],
        RollChanges(form=RollChangeForm, open=roll_change_open, case_types=ROLL_CASE_TYPES, components=COMPONENTS),
    )

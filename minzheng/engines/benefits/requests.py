"""Changes of an enrollment that a fact recorded elsewhere asks for (变更请求).

Who gets what changes only through a case (the owning line's 变更 case, decided by the county);
but the fact that calls for the change is sometimes recorded by another line: a care home admits
a 特困 person (集中供养 from now on) or discharges one (back to 分散供养). That line must not
import the owning line (import contract), and must not write the roll. So the owning line
registers, per program and kind of change, how it opens its change case from such a fact
(:func:`change_request_register`); the other line calls :func:`change_request` with the fact as
evidence, and the case does the rest — investigation, review, the county's decision, and the
effective month its rules say.

The engine knows no line by name: ``("tekun", "mode")`` is registered by the line owning 特困.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from minzheng.foundation.plugins import Registry
from minzheng.foundation.validation import Refused

from .models import Enrollment


@dataclass(frozen=True)
class ChangeRequest:
    """How the line owning ``program`` opens the case of a ``kind`` of change (``mode``: 供养方式)
    asked for by a fact recorded elsewhere. ``open(*, user, enrollment, evidence, **params)``
    returns the case opened (or raises ``ValidationError``/``Refused`` with a Chinese message);
    ``evidence`` is a dict naming the fact (what, number, day, summary) kept with the case."""

    program: str
    kind: str
    label: str
    open: Callable


CHANGE_REQUESTS: dict[str, ChangeRequest] = Registry("保障变更请求")  # "program.kind" → ChangeRequest


def change_request_register(program: str, kind: str, label: str, open: Callable) -> None:
    """Register how ``program``'s owner opens the case of a ``kind`` of change (at import time)."""
    CHANGE_REQUESTS[f"{program}.{kind}"] = ChangeRequest(program, kind, label, open)


def change_request_for(program: str, kind: str) -> ChangeRequest | None:
    return CHANGE_REQUESTS.get(f"{program}.{kind}")


def change_request(*, user, enrollment: Enrollment, kind: str, evidence: dict, **params):
    """Open the case deciding a ``kind`` of change of ``enrollment`` on ``evidence``; the case is
    returned, the roll is not touched. Refused in Chinese when the program's owner registered no
    such change."""
    request = change_request_for(enrollment.program_id, kind)
    if request is None:
        raise Refused(f"保障项目「{enrollment.program_id}」未登记「{kind}」变更的办理方式")
    if not isinstance(evidence, dict) or not evidence.get("what"):
        raise Refused("变更请求须附依据（如入住登记）")
    return request.open(user=user, enrollment=enrollment, evidence=evidence, **params)

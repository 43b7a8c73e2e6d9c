"""The changes of the line's enrollments that facts recorded by other lines ask for
(:mod:`minzheng.engines.benefits.requests`): a care home admitting a 特困 person asks for 集中供养,
discharging one for 分散供养. Each opens the same 供养方式变更 case as 发起变更 on the enrollment page
(:func:`.roll.roll_case_open`, kind ``mode``), with the fact as its evidence; the roll changes only
by the county's decision in that case, from the month its effect says (the month after the
decision: ``roll._review_apply``)."""

from __future__ import annotations

from minzheng.engines.benefits.requests import change_request_register

from .casework import TEKUN_MODE_LABELS
from .roll import roll_case_open


def _mode_request(*, user, enrollment, evidence: dict, mode: str, opinion: str = ""):
    summary = evidence.get("summary") or evidence["what"]
    text = opinion or f"依{summary}，申请变更为{TEKUN_MODE_LABELS.get(mode, mode)}"
    return roll_case_open(user=user, enrollment=enrollment, kind="mode", mode=mode, opinion=text[:300],
                          evidence=evidence)  # fmt: skip


change_request_register("tekun", "mode", "供养方式变更（特困人员集中、分散供养）", _mode_request)

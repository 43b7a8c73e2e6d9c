"""What the case page shows on the assistance line's case types (the case engine's panels,
:mod:`minzheng.engines.cases.panels`): the enrollment an approval created, the 临时救助 payment, the
assessment card and the 临时救助 estimate. The workbench renders each with its template
(``templates/assistance/case_panels/``); the API hands out the data as it is."""

from __future__ import annotations

from django.core.exceptions import ValidationError

from minzheng.engines.benefits.models import Enrollment
from minzheng.engines.cases.hooks import case_field_labels, case_value_labels
from minzheng.engines.cases.panels import case_panel
from minzheng.foundation.validation import Refused

from .assessment import CLASSIFICATION_LABELS
from .case_types import CASE_TYPES

CLASSIFICATIONS = CLASSIFICATION_LABELS  # the assessment's classification, as caseworkers name it
LINE_TYPES = [d["code"] for d in CASE_TYPES]
TEMP_TYPES = [d["code"] for d in CASE_TYPES if d.get("program") == "temp_assistance"]

case_value_labels("assessment_classification", CLASSIFICATIONS)  # what an approval recorded, in the history
case_field_labels({"assessment_classification": "测算结果"})


@case_panel("assistance.enrollment", title="保障编号", place="fields", order=10, case_types=LINE_TYPES,
            template="assistance/case_panels/enrollment.html")  # fmt: skip
def enrollment_panel(case, user, today):
    """The roll entry the case created or changed, linked where the user may see it."""
    number = case.data.get("enrollment_number")
    if not number:
        return None
    mine = Enrollment.objects.for_user(user, "benefits.view").filter(number=number)
    return {
        "enrollment_number": number,
        "enrollment_id": mine.values_list("pk", flat=True).first(),
        "start_month": (case.data.get("start_month") or "")[:7],
    }


@case_panel("assistance.payment", title="临时救助发放", place="fields", order=20, case_types=TEMP_TYPES,
            template="assistance/case_panels/payment.html")  # fmt: skip
def payment_panel(case, user, today):
    """The one-off payment a 临时救助 decision made (先行救助 or not)."""
    number = case.data.get("payment_number")
    if not number:
        return None
    return {"payment_number": number, "amount": case.data.get("amount"), "first_aid": bool(case.data.get("first_aid"))}


@case_panel("assistance.assessment", title="测算结果", order=30, case_types=LINE_TYPES,
            template="assistance/case_panels/assessment.html")  # fmt: skip
def assessment_panel(case, user, today):
    """The assessment of the case's evidence with its explanation; before it, at 初审, a hint that
    it will be made there (``pending``)."""
    a = case.data.get("assessment")
    if not a:
        return {"pending": True} if case.step == "first_review" and not case.closed else None
    return {
        **a,
        "classification_name": CLASSIFICATIONS.get(a.get("classification"), a.get("classification", "")),
        "assessed_on": case.data.get("assessed_on", ""),
    }


@case_panel("assistance.temp_estimate", title="临时救助测算", order=40, case_types=TEMP_TYPES,
            template="assistance/case_panels/temp_estimate.html")  # fmt: skip
def temp_estimate_panel(case, user, today):
    """临时救助: the explained estimate where the amount is proposed and decided (乡镇审核, 审批),
    as stored with the proposal once made, else computed now for the months the kind allows."""
    if case.household_id is None:
        return None
    stored = case.data.get("temp_estimate")
    if stored and case.step != "review":
        return {**stored, "stored": True, "proposed": case.data.get("amount")}
    if case.step != "review":
        return None
    from minzheng.foundation.parameters.standards import MissingStandard

    from .temporary import temp_estimate

    try:
        return temp_estimate(case, today)
    except MissingStandard as exc:
        return {"error": f"暂时无法测算：{exc}"}
    except (Refused, ValidationError) as exc:
        return {"error": "暂时无法测算：" + "；".join(m for m in exc.messages if m)}

"""What a business line makes of a 核对报告: the report's figures as the line's assessment request,
the evidence behind each item, and 采用核对结果 (the chosen items replace the household's
recorded means).

The engine issues reports and knows no line's means or assessment by name; the line whose means a
report feeds registers one :class:`ReportUse` with :func:`report_use_register` (the assistance line
does from ``business/assistance/verification.py``, as it registers its judge). The workbench's
adoption page and the API's report body read it through :func:`report_use`; without one
registered the API's report has no assessment input and the workbench offers no adoption. A second,
different registration is refused at start-up (:class:`~minzheng.foundation.plugins.Registry`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from minzheng.foundation.plugins import Registry


@dataclass(frozen=True)
class ReportUse:
    """``assessment_input(report) -> dict``: the report as the line's assessment request (JSON);
    ``evidence(report) -> dict``: per means item whether the report found data (``found``, ``zero``,
    ``no_data``) and what each source said; ``adoption(report) -> dict``: what the adoption page
    shows — ``current`` (the means as recorded, or None), ``reported`` and ``rows`` (per item:
    ``field``, ``label``, ``unit``, ``investigated``, ``reported``, ``differs``, ``state``,
    ``sources``, ``adoptable``, ``default``); ``adopt(*, user, report, items)``: write the chosen
    items (refused in Chinese with :class:`~minzheng.foundation.validation.Refused`, audited)."""

    assessment_input: Callable[[Any], dict]
    evidence: Callable[[Any], dict]
    adoption: Callable[[Any], dict]
    adopt: Callable[..., Any]


REPORT_USES: dict[str, ReportUse] = Registry("核对报告的采用")
_KEY = "means"  # one use: the household's means a report is adopted into


def report_use_register(use: ReportUse) -> ReportUse:
    REPORT_USES[_KEY] = use
    return use


def report_use() -> ReportUse | None:
    """The registered use of reports, or None when no line registered one."""
    return REPORT_USES.get(_KEY)

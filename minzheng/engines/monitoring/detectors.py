"""Detectors: the SQL of monitoring rules, registered by name (ADR 0008).

A business line registers each detector with :func:`detector`; a :class:`~.models.MonitoringRule`
row names the detector it runs. A detector is DuckDB SQL over the tables and views one monitoring
run prepares (see :func:`.services.monitoring_run`):

``cohort``
    one row per current member × enrollment on a roll (:mod:`minzheng.foundation.olap.cohort`).
``src_<code>``
    the current batch of each partner source (an empty view of the right columns when none).
``thresholds``
    ``(township, hukou_type, key, mode, value)``: the standards in force on the run date, resolved
    once per township (12-digit code) and hukou type (``urban``, ``rural``).
``known``
    ``(id_index, person_id, household_id, name, id_masked, region_code, hukou_type)``: registry
    persons found for the candidates of discovery detectors (people in partner data on no roll).

and the macros ``run_on()`` (the run date), ``township(code)`` (a code's township, 12 digits) and
``add_months(d, n)``.

It selects, in this order, :data:`OUTPUT`: ``subject_key`` (``h:<household id>`` or, for a person
known only from partner data, ``p:<id_index>``), ``household_id``, ``person_id``, ``id_index``,
``name``, ``id_masked``, ``region_code``, ``evidence_json`` (a JSON object, shown to staff) and
``evidence_key`` (a stable hash of the evidence's identity — the vehicle's plate and registration
date, not the batch — so unchanged evidence in a new batch raises nothing new).

The engine knows no program or source by meaning: what a detector means lives in the business line.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from minzheng.foundation.plugins import Registry

OUTPUT = (
    "subject_key",
    "household_id",
    "person_id",
    "id_index",
    "name",
    "id_masked",
    "region_code",
    "evidence_json",
    "evidence_key",
)


@dataclass(frozen=True)
class Detector:
    """``sql`` is the SQL text, or a function of the rule's ``params`` returning it (for lists such
    as program codes, quoted with :func:`sql_list`). ``thresholds``: the ``(standard key, mode)``
    pairs it reads from ``thresholds``. ``requires``: sources that must have a current batch for the
    rule to run at all (a rule about the *absence* of a partner row would otherwise fire for everyone).
    ``candidates``: for discovery detectors, SQL selecting ``id_index`` of the people it may report,
    looked up in the registry before ``sql`` runs (table ``known``). ``labels``: Chinese names of the
    evidence fields it writes (the sources' own column labels are used for their columns), ``values``
    the Chinese of coded values."""

    name: str
    sql: str | Callable[[dict], str] | None
    sources: tuple[str, ...] = ()
    thresholds: tuple[tuple[str, str], ...] = ()
    requires: tuple[str, ...] = ()
    discovery: bool = False
    candidates: str | Callable[[dict], str] | None = None
    labels: dict = field(default_factory=dict)
    values: dict = field(default_factory=dict)  # field → {stored value: 中文}

    def sql_for(self, params: dict) -> str:
        return self.sql(params or {}) if callable(self.sql) else (self.sql or "")

    def candidates_for(self, params: dict) -> str:
        if self.candidates is None:
            return ""
        return self.candidates(params or {}) if callable(self.candidates) else self.candidates

    @property
    def runnable(self) -> bool:
        return self.sql is not None


DETECTORS: dict[str, Detector] = Registry("监测规则")


def detector(name: str, *, sql, **kw) -> Detector:
    """Register a detector (called by business lines at import time). ``sql=None`` registers a
    rule that is raised by a service, not by a run (e.g. hardship reports)."""
    d = Detector(name=name, sql=sql, **kw)
    DETECTORS[name] = d
    return d


def detector_get(name: str) -> Detector | None:
    return DETECTORS.get(name)


_CODE = re.compile(r"^[A-Za-z0-9_]+$")


def sql_list(values) -> str:
    """Codes as a SQL list literal (``'dibao', 'tekun'``); only letters, digits and ``_`` (never
    from user input, but checked all the same)."""
    out = []
    for v in values:
        v = str(v)
        if not _CODE.match(v):
            raise ValueError(f"非法代码：{v}")
        out.append(f"'{v}'")
    return ", ".join(out) or "NULL"


def sql_int(value, default: int) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default

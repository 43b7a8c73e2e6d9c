"""Income left out of the income a rule counts, as policy data: per rule (*scope*), income kind and
region, time-versioned, each row with its citation (:class:`~.models.IncomeExclusion`, ADR 0017).

A business line declares its scopes and the income kinds they know with :func:`exclusion_scope`
and seeds the rows with their citations; every reader of the rule (the assessment, the verification
judge and its report, the means the simulation reads, the portal's income kinds) asks
:func:`exclusions_for` — or :meth:`~.standards.Standards.excluded_income` of the standards view it
already holds — for the kinds left out as of its date and region, so there is one definition.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Q

from minzheng.foundation.plugins import Registry

from .models import IncomeExclusion
from .standards import ancestor_codes


@dataclass(frozen=True)
class ExclusionScope:
    key: str
    label: str  # e.g. 低保家庭收入
    kinds: tuple[tuple[str, str], ...]  # the income kinds the rule knows: (kind, label)


SCOPES: Registry = Registry("不计入收入规则")


def exclusion_scope(key: str, label: str, kinds) -> ExclusionScope:
    """Declare a rule whose income exclusions are data (called by business lines at import time)."""
    SCOPES[key] = ExclusionScope(key, label, tuple((k, v) for k, v in dict(kinds).items()))
    return SCOPES[key]


@dataclass(frozen=True)
class Exclusions:
    """The kinds a rule leaves out in one region on one date, with the row that decided each kind."""

    scope: str
    region_code: str
    as_of: dt.date
    kinds: frozenset[str]
    rows: dict[str, IncomeExclusion] = field(default_factory=dict, compare=False)

    def __contains__(self, kind: str) -> bool:
        return kind in self.kinds

    def cite(self, kind: str) -> str:
        """Where the rule for ``kind`` comes from: region, date and citation ('' when no row)."""
        row = self.rows.get(kind)
        if row is None:
            return ""
        return f"{row.region_code or '全国'} 自 {row.effective_from.isoformat()} 起，{row.source_document}"


def _specificity(row: IncomeExclusion) -> int:
    return len(row.region_code.rstrip("0")) if row.region_code else -1


def exclusions_for(scope: str, *, region_code: str, as_of: dt.date) -> Exclusions:
    """The kinds ``scope`` leaves out in ``region_code`` on ``as_of``: per kind the most specific
    row in force (a longer region prefix beats a shorter one, '' = nationwide)."""
    rows = IncomeExclusion.objects.filter(
        Q(effective_to__isnull=True) | Q(effective_to__gt=as_of),
        scope=scope,
        region_code__in=ancestor_codes(region_code or ""),
        effective_from__lte=as_of,
    )
    best: dict[str, IncomeExclusion] = {}
    for row in rows:
        if row.kind not in best or _specificity(row) > _specificity(best[row.kind]):
            best[row.kind] = row
    kinds = frozenset(k for k, row in best.items() if row.excluded)
    return Exclusions(scope=scope, region_code=region_code, as_of=as_of, kinds=kinds, rows=best)


def exclusion_regions() -> set[str]:
    """Region codes that carry exclusion rows (a region's *signature* for set-based readers)."""
    return set(IncomeExclusion.objects.values_list("region_code", flat=True).distinct())


def exclusions_given(rows, *, region_code: str, as_of: dt.date) -> dict[str, Exclusions]:
    """``scope → Exclusions`` from ``(scope, kind, …)`` rows held in memory, for a standards view
    built without the database (``Standards(..., _rows={}, _exclusions=exclusions_given(...))``)."""
    by_scope: dict[str, set[str]] = {}
    for scope, kind, *_rest in rows:
        by_scope.setdefault(scope, set()).add(kind)
    return {
        scope: Exclusions(scope=scope, region_code=region_code, as_of=as_of, kinds=frozenset(kinds))
        for scope, kinds in by_scope.items()
    }

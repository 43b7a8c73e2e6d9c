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
from typing import NamedTuple

from django.db import connection

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


class ExclusionRow(NamedTuple):
    """The facts of one :class:`IncomeExclusion` row that decide and cite a kind."""

    scope: str
    kind: str
    region_code: str
    excluded: bool
    effective_from: dt.date
    source_document: str


@dataclass(frozen=True)
class Exclusions:
    """The kinds a rule leaves out in one region on one date, with the row that decided each kind."""

    scope: str
    region_code: str
    as_of: dt.date
    kinds: frozenset[str]
    rows: dict[str, ExclusionRow] = field(default_factory=dict, compare=False)

    def __contains__(self, kind: str) -> bool:
        return kind in self.kinds

    def cite(self, kind: str) -> str:
        """Where the rule for ``kind`` comes from: region, date and citation ('' when no row)."""
        row = self.rows.get(kind)
        if row is None:
            return ""
        return f"{row.region_code or '全国'} 自 {row.effective_from.isoformat()} 起，{row.source_document}"


def _specificity(row: ExclusionRow) -> int:
    return len(row.region_code.rstrip("0")) if row.region_code else -1


def _rows_in_force(codes: list[str], as_of: dt.date) -> list[ExclusionRow]:
    """The rows in force on ``as_of`` in the regions ``codes``. Read for every assessment, so one
    plain parameterised statement rather than a queryset (the ORM's query building cost more
    than the query)."""
    table = connection.ops.quote_name(IncomeExclusion._meta.db_table)
    marks = ", ".join(["%s"] * len(codes))
    # the table's own name and placeholders; every value is a parameter
    sql = (
        f"SELECT scope, kind, region_code, excluded, effective_from, source_document FROM {table} "  # noqa: S608
        f"WHERE region_code IN ({marks}) AND effective_from <= %s AND (effective_to IS NULL OR effective_to > %s)"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*codes, as_of, as_of])
        found = cursor.fetchall()
    return [
        ExclusionRow(scope, kind, region, bool(excluded),
                     start if isinstance(start, dt.date) else dt.date.fromisoformat(str(start)), citation)
        for scope, kind, region, excluded, start, citation in found
    ]  # fmt: skip


def exclusions_all(*, region_code: str, as_of: dt.date) -> dict[str, Exclusions]:
    """Every declared rule's exclusions in ``region_code`` on ``as_of``, in one query: per rule and
    kind the most specific row in force (a longer region prefix beats a shorter one, '' =
    nationwide); a rule without rows leaves nothing out."""
    rows = _rows_in_force(ancestor_codes(region_code or ""), as_of)
    best: dict[str, dict[str, ExclusionRow]] = {scope: {} for scope in SCOPES}
    for row in rows:
        mine = best.setdefault(row.scope, {})
        if row.kind not in mine or _specificity(row) > _specificity(mine[row.kind]):
            mine[row.kind] = row
    return {
        scope: Exclusions(scope=scope, region_code=region_code, as_of=as_of,
                          kinds=frozenset(k for k, row in rows_.items() if row.excluded), rows=rows_)
        for scope, rows_ in best.items()
    }  # fmt: skip


def exclusions_for(scope: str, *, region_code: str, as_of: dt.date) -> Exclusions:
    """The kinds ``scope`` leaves out in ``region_code`` on ``as_of`` (:func:`exclusions_all`)."""
    found = exclusions_all(region_code=region_code, as_of=as_of).get(scope)
    return found or Exclusions(scope=scope, region_code=region_code, as_of=as_of, kinds=frozenset())


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

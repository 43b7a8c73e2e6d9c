"""Partner data (部门共享数据) as DuckDB views ``src_<code>``, one per source, for set-based work
over it (verification, monitoring, payroll holds, and later care and indicators).

The sources and their batches are the verification engine's records (``DataSource``,
``SourceBatch``, immutable Parquet files, ADR 0008); the foundation names no engine's model. The
engine registers itself as the *provider* (:func:`partner_data_register`): it says which batch of
each source is current and gives each source's typed columns and batch file
(:class:`PartnerTable`). The views are made here, so a reader needs only this module.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from minzheng.foundation.plugins import Registry


@dataclass(frozen=True)
class PartnerTable:
    """One source as a view: its code, typed columns ``[(name, DuckDB type)]`` (for the empty view
    of a source without data), its batch file (None: no accepted batch) and the provider's batch
    record that file belongs to (a report records its id)."""

    code: str
    columns: list[tuple[str, str]]
    path: Path | None = None
    batch: Any = None


class PartnerData(Protocol):
    def current(self, codes=None) -> dict[str, Any]:
        """``{code: batch}`` of the sources (of ``codes``, or all) that have an accepted batch."""

    def tables(self, codes=None, batches: dict | None = None) -> list[PartnerTable]:
        """The sources (of ``codes``, or all; an unknown code raises ``ValueError``) with the batch
        of ``batches`` or else the current one."""


PROVIDERS: Registry = Registry("部门共享数据来源")


def partner_data_register(provider: PartnerData, name: str = "sources") -> PartnerData:
    PROVIDERS[name] = provider
    return provider


def _provider() -> PartnerData:
    if not PROVIDERS:
        raise LookupError("没有登记部门共享数据的提供方")
    return next(iter(PROVIDERS.values()))


def partner_current(codes=None) -> dict[str, Any]:
    """``{code: batch}`` of the sources that have an accepted batch (which rules can run)."""
    return _provider().current(codes)


def _sql_text(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def partner_views(con, batches: dict | None = None, codes=None) -> dict[str, Any]:
    """Create a DuckDB view ``src_<code>`` per source over its batch file (``batches`` given, or
    the current ones), or, for a source without an accepted batch, an empty view of the same typed
    columns, so that SQL over a source runs whether or not data arrived. Returns the batch each
    view reads (None for an empty one): a report records these ids."""
    used: dict[str, Any] = {}
    for table in _provider().tables(codes, batches):
        if table.path is not None:
            sql = f"SELECT * FROM read_parquet({_sql_text(str(table.path))})"  # our own path
        else:
            cols = ", ".join(f"CAST(NULL AS {t}) AS {name}" for name, t in table.columns)
            sql = f"SELECT {cols} WHERE false"
        con.execute(f"CREATE OR REPLACE VIEW src_{table.code} AS {sql}")
        used[table.code] = table.batch if table.path is not None else None
    return used

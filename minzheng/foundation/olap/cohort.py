"""The cohort: people of the registry as a DuckDB table ``cohort`` for set-based work (batch
verification, monitoring, and later care and indicators), one row per current member of each unit.

A *unit* is what the cohort is drawn over: by default every household of the registry (under a
region prefix); an engine passes its own units as :class:`Units` — the benefits engine its roll
(:func:`minzheng.engines.benefits.cohort.roll_units`: one unit per enrollment) — so the foundation
names no engine's table. A unit is a household, or one person of it (``only_person_id``: 特困,
单人户); its further columns (region, hukou type, program, amount …) are carried into every row of
its members. Partner rows join the cohort on ``id_index`` (the registry's blind index of the ID
number). The member columns are :data:`MEMBER_COLUMNS`; a member who died is kept (still on a roll
is what the monitoring looks for).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from . import range_sql, tables_into

MEMBER_COLUMNS = {
    "household_id": "BIGINT",
    "household_number": "VARCHAR",
    "person_id": "BIGINT",
    "id_index": "VARCHAR",
    "id_masked": "VARCHAR",
    "name": "VARCHAR",
    "sex": "VARCHAR",
    "birth_date": "DATE",
    "death_date": "DATE",
    "relation": "VARCHAR",
    "is_head": "BOOLEAN",
    "disability_kind": "VARCHAR",
    "disability_grade": "INTEGER",
    "serious_illness": "BOOLEAN",
}
_MEMBER_SQL = (
    "h.id AS household_id, h.number AS household_number, p.id AS person_id, p.id_number_index AS id_index, "
    "p.id_number_masked AS id_masked, p.name AS name, p.sex AS sex, p.birth_date AS birth_date, "
    "p.death_date AS death_date, ms.relation AS relation, CASE WHEN ms.relation = 'head' THEN 1 ELSE 0 END AS is_head, "
    "p.disability_kind AS disability_kind, p.disability_grade AS disability_grade, "
    "CASE WHEN p.serious_illness THEN 1 ELSE 0 END AS serious_illness"
)


@dataclass(frozen=True)
class Units:
    """What a cohort is drawn over: ``sql`` selects ``household_id``, ``only_person_id`` (null: every
    current member of the household) and then ``columns`` (name → DuckDB type, ``CENTS`` for money,
    see :mod:`minzheng.foundation.olap`), already narrowed to its region."""

    sql: str
    columns: dict[str, str]


def household_units(region_prefix: str = "") -> Units:
    """Every household of the registry under ``region_prefix``, with its region and hukou type."""
    return Units(
        "SELECT h.id AS household_id, CAST(NULL AS BIGINT) AS only_person_id, h.region_code AS region_code, "
        "h.hukou_type AS hukou_type FROM registry_household h WHERE 1 = 1" + range_sql("h.region_code", region_prefix),
        {"region_code": "VARCHAR", "hukou_type": "VARCHAR"},
    )


def cohort_columns(units: Units) -> dict[str, str]:
    return {**MEMBER_COLUMNS, **units.columns}


def cohort_sql(units: Units) -> str:
    """One row per current member of each unit (only that person for a unit of one person)."""
    extra = "".join(f", u.{name} AS {name}" for name in units.columns)
    return (
        f"SELECT {_MEMBER_SQL}{extra} "
        f"FROM ({units.sql}) u "
        "JOIN registry_household h ON h.id = u.household_id "
        "JOIN registry_membership ms ON ms.household_id = u.household_id AND ms.valid_to IS NULL "
        "JOIN registry_person p ON p.id = ms.person_id "
        "WHERE (u.only_person_id IS NULL OR u.only_person_id = p.id)"
    )


def cohort_load(
    con, *, workdir: Path, units: Units | None = None, region_prefix: str = "", table: str = "cohort"
) -> int:
    """Create the DuckDB table ``cohort`` (:func:`cohort_columns`) over ``units`` (default: every
    household under ``region_prefix``); returns its row count."""
    units = units or household_units(region_prefix)
    tables_into(con, {table: (cohort_sql(units), cohort_columns(units))}, workdir)
    return con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]


def age_sql(birth: str, on: dt.date) -> str:
    """Whole years of age on ``on`` of a DuckDB DATE column or expression."""
    d = on.isoformat()
    return (
        f"date_diff('year', {birth}, DATE '{d}') - CASE WHEN strftime({birth}, '%m-%d') > '{d[5:]}' THEN 1 ELSE 0 END"
    )

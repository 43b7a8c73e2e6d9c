"""The cohort: the people on benefit rolls, as a DuckDB table for set-based verification and
monitoring (see ADR 0008).

``cohort_load`` copies one row per current member × enrollment of the households (or single persons)
on the given programs' rolls into the DuckDB table ``cohort``; partner rows join it on ``id_index``
(the registry's blind index of the ID number). The engine knows programs only by their codes.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from minzheng.foundation.olap import cents_sql, range_sql, tables_into

# the enrollment states of a roll (exited enrollments are history, not the roll)
ROLL_STATES = ("active", "phase_out", "suspended")

COHORT_COLUMNS = {
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
    "region_code": "VARCHAR",
    "hukou_type": "VARCHAR",
    "disability_kind": "VARCHAR",
    "disability_grade": "INTEGER",
    "serious_illness": "BOOLEAN",
    "enrollment_id": "BIGINT",
    "enrollment_number": "VARCHAR",
    "program": "VARCHAR",
    "state": "VARCHAR",
    "monthly_amount": "CENTS",
    "persons_covered": "INTEGER",
    "start_month": "DATE",
    "phase_out_until": "DATE",
    "next_review": "DATE",
    "review_class": "VARCHAR",
    "last_review": "DATE",
}


def _quoted(values) -> str:
    out = []
    for v in values:
        if not str(v).replace("_", "").isalnum():
            raise ValueError(f"非法代码：{v}")
        out.append(f"'{v}'")
    return ", ".join(out)


def cohort_sql(*, programs: list[str] | None = None, region_prefix: str = "", states=ROLL_STATES) -> str:
    """One row per current member of each enrollment's household on the roll (for an enrollment of
    one person — 特困, 单人户 — only that person), alive or not: a dead member still on a roll is
    what the monitoring looks for. ``last_review`` is the latest review's date, or null."""
    where = f"e.state IN ({_quoted(states)})"
    if programs:
        where += f" AND e.program_id IN ({_quoted(programs)})"
    where += range_sql("e.region_code", region_prefix)
    return (
        "SELECT h.id AS household_id, h.number AS household_number, p.id AS person_id, "
        "p.id_number_index AS id_index, p.id_number_masked AS id_masked, p.name AS name, p.sex AS sex, "
        "p.birth_date AS birth_date, p.death_date AS death_date, ms.relation AS relation, "
        "CASE WHEN ms.relation = 'head' THEN 1 ELSE 0 END AS is_head, e.region_code AS region_code, "
        "e.hukou_type AS hukou_type, p.disability_kind AS disability_kind, p.disability_grade AS disability_grade, "
        "CASE WHEN p.serious_illness THEN 1 ELSE 0 END AS serious_illness, e.id AS enrollment_id, "
        "e.number AS enrollment_number, e.program_id AS program, e.state AS state, "
        + cents_sql("e.monthly_amount", "monthly_amount")
        + ", e.persons_covered AS persons_covered, e.start_month AS start_month, "
        "e.phase_out_until AS phase_out_until, e.next_review AS next_review, e.review_class AS review_class, "
        "r.last_review AS last_review "
        "FROM benefits_enrollment e "
        "JOIN registry_household h ON h.id = e.household_id "
        "JOIN registry_membership ms ON ms.household_id = e.household_id AND ms.valid_to IS NULL "
        "JOIN registry_person p ON p.id = ms.person_id "
        "LEFT JOIN (SELECT enrollment_id, MAX(reviewed_on) AS last_review FROM benefits_review "
        "GROUP BY enrollment_id) r ON r.enrollment_id = e.id "
        f"WHERE {where} AND (e.person_id IS NULL OR e.person_id = p.id)"
    )


def cohort_load(con, *, workdir: Path, programs: list[str] | None = None, region_prefix: str = "") -> int:
    """Create the DuckDB table ``cohort`` (:data:`COHORT_COLUMNS`); returns its row count."""
    tables_into(con, {"cohort": (cohort_sql(programs=programs, region_prefix=region_prefix), COHORT_COLUMNS)}, workdir)
    return con.execute("SELECT count(*) FROM cohort").fetchone()[0]


def age_sql(birth: str, on: dt.date) -> str:
    """Whole years of age on ``on`` of a DuckDB DATE column or expression."""
    d = on.isoformat()
    return (
        f"date_diff('year', {birth}, DATE '{d}') - CASE WHEN strftime({birth}, '%m-%d') > '{d[5:]}' THEN 1 ELSE 0 END"
    )

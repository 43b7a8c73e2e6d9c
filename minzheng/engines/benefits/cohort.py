"""The roll as cohort units (see :mod:`minzheng.foundation.olap.cohort`, ADR 0008): one unit per
enrollment on a roll, the household (or, for an enrollment of one person — 特困, 单人户 — only that
person) with the enrollment's region, hukou type, program, amount and review dates. Batch
verification and monitoring load it with ``cohort_load(con, workdir=…, units=roll_units(…))``. The
engine knows programs only by their codes.
"""

from __future__ import annotations

from minzheng.foundation.olap import cents_sql, range_sql
from minzheng.foundation.olap.cohort import Units

# the enrollment states of a roll (exited enrollments are history, not the roll)
ROLL_STATES = ("active", "phase_out", "suspended")

ROLL_COLUMNS = {
    "region_code": "VARCHAR",
    "hukou_type": "VARCHAR",
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


def roll_units(*, programs: list[str] | None = None, region_prefix: str = "", states=ROLL_STATES) -> Units:
    """The enrollments in ``states`` (of ``programs``) under ``region_prefix`` as cohort units;
    ``last_review`` is the latest review's date, or null."""
    where = f"e.state IN ({_quoted(states)})"
    if programs:
        where += f" AND e.program_id IN ({_quoted(programs)})"
    where += range_sql("e.region_code", region_prefix)
    return Units(
        "SELECT e.household_id AS household_id, e.person_id AS only_person_id, e.region_code AS region_code, "
        "e.hukou_type AS hukou_type, e.id AS enrollment_id, e.number AS enrollment_number, "
        "e.program_id AS program, e.state AS state, "
        + cents_sql("e.monthly_amount", "monthly_amount")
        + ", e.persons_covered AS persons_covered, e.start_month AS start_month, "
        "e.phase_out_until AS phase_out_until, e.next_review AS next_review, e.review_class AS review_class, "
        "r.last_review AS last_review "
        "FROM benefits_enrollment e "
        "LEFT JOIN (SELECT enrollment_id, MAX(reviewed_on) AS last_review FROM benefits_review "
        f"GROUP BY enrollment_id) r ON r.enrollment_id = e.id WHERE {where}",  # codes checked by _quoted
        ROLL_COLUMNS,
    )

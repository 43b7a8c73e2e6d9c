"""Hold checks of the payroll (暂缓发放): reasons, found by the business lines, not to pay a line.

A business line registers a check with :func:`hold_check` (as it registers case hooks in
:mod:`minzheng.engines.cases.hooks`); the engine knows no check and no data source by name. At
every calculation (:func:`~.payroll.payroll_generate`) each check registered for the cycle's program
runs **once over the whole cycle** — set-based, never one query per line — and answers the lines
to hold, each with a Chinese reason. A held line is not exported and not appropriated; generate
and approve report the held lines and their amounts, and a finance user may release a hold before
approval with a reason of their own (``payroll_hold_release``), audited.

:func:`lines_of_persons` is the set-based building block most checks need: the lines of a cycle
whose payee or a counted member is one of a set of persons (given by registry id, by the blind
index of the ID number, or by a SQL subquery), in one statement.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.db import connection

from minzheng.foundation.plugins import Registry


@dataclass(frozen=True)
class Hold:
    """One reason not to pay one enrollment's line this month."""

    enrollment_id: int
    subject: str  # what the reason is about, stable across recalculations (e.g. "p:<person id>")
    reason: str  # Chinese, shown to the finance officers and kept with the line


@dataclass(frozen=True)
class HoldCheck:
    code: str
    label: str
    run: Callable  # fn(cycle) -> Iterable[Hold]
    programs: tuple[str, ...] = ()  # empty: every program


HOLD_CHECKS: dict[str, HoldCheck] = Registry("暂缓发放检查")


def hold_check(code: str, label: str, *, programs: Iterable[str] = ()):
    """Register ``fn(cycle) -> Iterable[Hold]``, run at every calculation of a cycle of one of
    ``programs`` (all when empty). It must be set-based over the cycle's lines and must not write."""

    def register(fn):
        HOLD_CHECKS[code] = HoldCheck(code, label, fn, tuple(programs))
        return fn

    return register


def checks_for(program_code: str) -> list[HoldCheck]:
    return [c for c in HOLD_CHECKS.values() if not c.programs or program_code in c.programs]


@dataclass(frozen=True)
class PersonLine:
    """A line of a cycle and one of its persons (the payee or a counted member)."""

    enrollment_id: int
    line_no: int
    person_id: int
    name: str
    id_masked: str
    id_index: str
    death_date: object  # the registry's date of death (datetime.date) or None
    is_payee: bool


def values_sql(values: list, *, integers: bool = False) -> tuple[str, list]:
    """A one-column subquery ``(value)`` over a Python list, as one parameter (an array on
    PostgreSQL, JSON on SQLite), whatever its length."""
    values = [int(v) for v in values] if integers else [str(v) for v in values]
    if connection.vendor == "postgresql":
        return f"SELECT unnest(%s::{'bigint' if integers else 'text'}[]) AS value", [values]
    return "SELECT value FROM json_each(%s)", [json.dumps(values)]


# The persons of a cycle's lines, from the persons' side (a few, e.g. the recorded dead) through
# the indexes: a person is a counted member of an enrollment's line while their membership of the
# household is open (for an enrollment of one person, only that person), and the payee is the
# person enrolled, else the household head — the same rule as the calculation's.
LINES_OF_PERSONS_SQL = """
WITH hit AS ({hits}),
ph AS (
    SELECT ms.person_id, ms.household_id FROM registry_membership ms
    JOIN hit ON hit.person_id = ms.person_id WHERE ms.valid_to IS NULL
    UNION SELECT h.head_id, h.id FROM registry_household h JOIN hit ON hit.person_id = h.head_id
    UNION SELECT en.person_id, en.household_id FROM benefits_enrollment en JOIN hit ON hit.person_id = en.person_id
)
SELECT DISTINCT e.enrollment_id, e.line_no, p.id, p.name, p.id_number_masked, p.id_number_index, p.death_date,
    CASE WHEN p.id = COALESCE(en.person_id, h.head_id) THEN 1 ELSE 0 END
FROM ph
JOIN benefits_enrollment en ON en.household_id = ph.household_id AND en.program_id = %s
    AND (en.person_id IS NULL OR en.person_id = ph.person_id)
JOIN benefits_entitlement e ON e.enrollment_id = en.id AND e.cycle_id = %s
JOIN registry_household h ON h.id = en.household_id
JOIN registry_person p ON p.id = ph.person_id
ORDER BY e.line_no, p.id
"""


def lines_of_persons(
    cycle, *, person_ids: Iterable[int] = (), id_indexes: Iterable[str] = (), extra: tuple[str, list] | None = None
) -> list[PersonLine]:
    """The lines of ``cycle`` whose payee or a counted member is one of the persons given by
    registry id, by blind index of the ID number, or by a subquery ``extra = (sql, params)`` that
    yields a column ``person_id``: one statement, driven from the persons."""
    parts, params = [], []
    person_ids, id_indexes = list(person_ids), list(id_indexes)
    if person_ids:
        sql, p = values_sql(person_ids, integers=True)
        parts.append(f"SELECT p.id AS person_id FROM registry_person p WHERE p.id IN ({sql})")  # noqa: S608
        params += p
    if id_indexes:
        sql, p = values_sql(id_indexes)
        parts.append(f"SELECT p.id AS person_id FROM registry_person p WHERE p.id_number_index IN ({sql})")  # noqa: S608
        params += p
    if extra:
        parts.append(extra[0])
        params += list(extra[1])
    if not parts:
        return []
    sql = LINES_OF_PERSONS_SQL.format(hits=" UNION ".join(parts))
    with connection.cursor() as cur:
        cur.execute(sql, [*params, cycle.program_id, cycle.pk])
        rows = cur.fetchall()
    return [PersonLine(r[0], r[1], r[2], r[3], r[4], r[5], _date(r[6]), bool(r[7])) for r in rows]


def _date(value):
    import datetime as dt

    if value is None or isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])  # SQLite hands back text from a raw cursor

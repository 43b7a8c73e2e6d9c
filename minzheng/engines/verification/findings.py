"""Findings (核对发现): what a partner row means for a person's income, property, rigid expenses or
status, as SQL registered per source by the business line that reads the source (ADR 0008).

The engine knows no source by name. A business line registers, for a source code, a function that
returns one ``SELECT`` over ``{src}`` (the source's rows, already narrowed to the persons being
verified) producing the columns of :data:`FINDING_COLUMNS` except ``source`` and ``batch_id``, which
the engine adds. ``{as_of}`` is the verification date as a DuckDB ``DATE`` literal. The **same SQL**
serves one household (``{src}`` narrowed to its members' ``id_index`` by a literal list, so DuckDB
reads only the row groups of the sorted batch file that cover them) and a batch over a whole cohort
(``{src}`` narrowed by a semi-join with the cohort).

Categories: ``income`` (``income_kind``, ``annual_amount`` = yuan a year), ``property``
(``property_kind``, ``value`` in yuan where money, ``count`` of items), ``expense`` (rigid expenses,
``item`` names the kind, ``annual_amount``) and ``status`` (deceased, disability, unemployment …:
shown, not summed).

Per household the engine sums what was found (:data:`AMOUNTS_SQL`): the same income of one person
evidenced by several departments (社保缴费基数, 个税, 公积金缴存基数 all show the wage) counts once, at
the highest amount any one source shows; property and expenses add up.

The comparison with the standards is the business line's too: it registers a :class:`Judge` —
the standard values per (region, hukou type, program) and one SQL over the per-household
amounts producing :data:`CHECK_COLUMNS` (one row per limit tested). The standards are resolved once
per distinct *standards signature* (the ancestors of a region that carry standard rows) × hukou
type × program, however many villages the cohort spans.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from minzheng.foundation.olap import insert_rows
from minzheng.foundation.parameters.exclusions import exclusion_regions
from minzheng.foundation.parameters.models import Standard
from minzheng.foundation.plugins import Registry
from minzheng.foundation.validation import is_digits

FINDING_COLUMNS = {
    "id_index": "VARCHAR",
    "source": "VARCHAR",
    "item": "VARCHAR",
    "label": "VARCHAR",
    "category": "VARCHAR",
    "income_kind": "VARCHAR",
    "property_kind": "VARCHAR",
    "annual_amount": "DECIMAL(16,2)",
    "value": "DECIMAL(16,2)",
    "count": "INTEGER",
    "detail": "VARCHAR",
    "on_date": "DATE",
    "batch_id": "BIGINT",
}
CATEGORIES = ("income", "property", "expense", "status")
CATEGORY_LABELS = {"income": "收入", "property": "财产", "expense": "刚性支出", "status": "状况"}

UNIT_COLUMNS = {
    # one row per unit judged: a household (single report) or an enrollment (batch)
    "unit_id": "BIGINT",
    "household_id": "BIGINT",
    "program": "VARCHAR",
    "region_code": "VARCHAR",
    "hukou_type": "VARCHAR",
    "n": "INTEGER",
}
CHECK_COLUMNS = {
    "unit_id": "BIGINT",
    "sort": "INTEGER",
    "code": "VARCHAR",
    "label": "VARCHAR",
    "actual": "DECIMAL(18,2)",
    "limit_value": "DECIMAL(18,2)",
    "unit": "VARCHAR",
    "over": "BOOLEAN",
    "standard": "VARCHAR",
    "note": "VARCHAR",
}

_CODE = re.compile(r"^[a-z][a-z0-9_]{0,29}$")
_INDEX = re.compile(r"^[0-9A-Za-z+/=_-]{1,128}$")


# ---------------------------------------------------------------- the registry


@dataclass(frozen=True)
class FindingDef:
    source: str
    sql: Callable[[], str]
    title: str = ""


FINDINGS: dict[str, FindingDef] = Registry("核对发现")


def finding(source_code: str, *, title: str = ""):
    """Register the finding SQL of a source: decorates a function returning the ``SELECT``."""
    if not _CODE.match(source_code):
        raise ValueError(f"非法数据源代码：{source_code}")

    def register(fn: Callable[[], str]):
        FINDINGS[source_code] = FindingDef(source_code, fn, title or (fn.__doc__ or "").strip().split("\n")[0])
        return fn

    return register


def finding_codes(codes: Iterable[str] | None = None) -> list[str]:
    """The registered source codes (of ``codes`` when given), in registration order."""
    wanted = None if codes is None else set(codes)
    return [c for c in FINDINGS if wanted is None or c in wanted]


@dataclass
class Judge:
    """How a business line compares a household's findings with its standards.

    ``columns``: the standard values the SQL reads, ``[(name, DuckDB type)]``, as table ``std``
    (with ``combo``); ``params(region_code, hukou_type, as_of, program)`` returns them (a dict) or
    raises ``LookupError`` with a Chinese message when a standard is missing; ``sql`` reads
    ``units`` (:data:`UNIT_COLUMNS` + ``combo``), ``amounts`` and ``std`` and selects
    :data:`CHECK_COLUMNS`; ``labels`` names income, expense and property kinds; ``excluded`` are
    the income kinds not counted as family income, or ``excluded_column`` names the list column of
    ``std`` that holds them per combination (the region's and date's, when they are policy data)."""

    columns: list[tuple[str, str]]
    params: Callable[..., dict]
    sql: str
    labels: dict[str, str] = field(default_factory=dict)
    excluded: frozenset = frozenset()
    excluded_column: str = ""


_judge: list[Judge] = []


def judge_register(judge: Judge) -> Judge:
    _judge[:] = [judge]
    return judge


def judge_get() -> Judge:
    if not _judge:
        raise LookupError("没有登记核对结果与保障标准的比对规则")
    return _judge[0]


# ---------------------------------------------------------------- SQL


def _literal_date(day: dt.date) -> str:
    return f"DATE '{day.isoformat()}'"


def _wrap(code: str, inner: str, batch_id: int | None) -> str:
    cols = []
    for name, typ in FINDING_COLUMNS.items():
        if name == "source":
            cols.append(f"CAST('{code}' AS VARCHAR) AS source")
        elif name == "batch_id":
            cols.append(f"CAST({int(batch_id) if batch_id is not None else 'NULL'} AS BIGINT) AS batch_id")
        else:
            cols.append(f"CAST(f.{name} AS {typ}) AS {name}")
    return f"SELECT {', '.join(cols)} FROM ({inner}) f"  # noqa: S608 — registered SQL, typed columns


def findings_sql(
    codes: Iterable[str],
    *,
    as_of: dt.date,
    batch_ids: dict[str, int | None],
    subjects: str | None = "subjects",
    ids: Iterable[str] = (),
) -> str:
    """One ``UNION ALL`` of the registered findings of ``codes`` over the views ``src_<code>``.

    ``subjects``: a table with a column ``id_index`` the rows are narrowed to (a semi-join);
    ``ids``: the same as literals (for one household: lets DuckDB skip row groups by statistics)."""
    ids = list(ids)
    for i in ids:
        if not _INDEX.match(i):
            raise ValueError("非法的身份证号索引")
    where = []
    if ids:
        where.append("id_index IN (" + ", ".join(f"'{i}'" for i in ids) + ")")
    if subjects:
        where.append(f"id_index IN (SELECT id_index FROM {subjects})")  # noqa: S608 — a table name of ours
    parts = []
    for code in finding_codes(codes):
        src = f"src_{code}"
        rel = f"(SELECT * FROM {src} WHERE {' AND '.join(where)})" if where else src  # noqa: S608 — ids checked
        inner = FINDINGS[code].sql().format(src=rel, as_of=_literal_date(as_of))
        parts.append(_wrap(code, inner, batch_ids.get(code)))
    if not parts:
        cols = ", ".join(f"CAST(NULL AS {t}) AS {n}" for n, t in FINDING_COLUMNS.items())
        return f"SELECT {cols} WHERE false"
    return "\nUNION ALL\n".join(parts)


def findings_collect(con, codes: Iterable[str], *, as_of: dt.date, batch_ids: dict, **kw) -> int:
    """Run the findings into the DuckDB table ``found``; returns its row count."""
    con.execute(f"CREATE OR REPLACE TABLE found AS {findings_sql(codes, as_of=as_of, batch_ids=batch_ids, **kw)}")
    return con.execute("SELECT count(*) FROM found").fetchone()[0]


# Per unit × category × kind: income and expenses per person at the highest amount one source
# shows (the same wage in 社保, 个税 and 公积金 counts once), then summed over the unit's members;
# property summed. ``members(unit_id, id_index, counted)`` maps units to persons; only a counted
# member's income is family income (民发〔2021〕57号 第七条: a deceased member is not counted, as in
# the assessment), while expenses and property of every member stay the family's.
AMOUNTS_SQL = """
CREATE OR REPLACE TABLE amounts AS
WITH per_source AS (
  SELECT m.unit_id, f.id_index, f.category, coalesce(f.income_kind, f.property_kind, f.item) AS kind, f.source,
         sum(CASE WHEN f.category = 'property' THEN f.value ELSE f.annual_amount END) AS amount,
         sum(coalesce(f.count, 0)) AS cnt
  FROM found f JOIN members m USING (id_index)
  WHERE f.category IN ('expense', 'property') OR (f.category = 'income' AND m.counted)
  GROUP BY m.unit_id, f.id_index, f.category, coalesce(f.income_kind, f.property_kind, f.item), f.source
), per_person AS (
  SELECT unit_id, id_index, category, kind,
         CASE WHEN category = 'property' THEN sum(amount) ELSE max(amount) END AS amount,
         CASE WHEN category = 'property' THEN sum(cnt) ELSE max(cnt) END AS cnt
  FROM per_source GROUP BY unit_id, id_index, category, kind
)
SELECT unit_id, category, kind, CAST(coalesce(sum(amount), 0) AS DECIMAL(18,2)) AS amount,
       CAST(sum(cnt) AS BIGINT) AS count
FROM per_person GROUP BY unit_id, category, kind
"""


def amounts_build(con) -> None:
    """Tables ``found`` and ``members`` → ``amounts (unit_id, category, kind, amount, count)``."""
    con.execute(AMOUNTS_SQL)


# ---------------------------------------------------------------- standards per combination


def _standard_regions() -> list[str]:
    """Regions carrying parameters the judge may read: standard rows or income exclusions."""
    codes = sorted(
        c for c in set(Standard.objects.values_list("region_code", flat=True).distinct()) | exclusion_regions() if c
    )
    if any(not is_digits(c) for c in codes):
        raise ValueError("保障标准的区划代码须为数字")
    return codes


def standards_attach(con, *, as_of: dt.date) -> list[dict]:
    """Resolve the standards of every unit of table ``units`` into table ``std`` and set
    ``units.combo``; returns the combinations that could not be resolved (``missing``), whose units
    keep ``combo`` null and are not judged.

    Two regions resolve identically when the same ancestors carry standard rows or income
    exclusions (their *signature*,
    computed in SQL: a cohort may span tens of thousands of villages), so the judge's ``params`` is
    called once per signature × hukou type × program."""
    judge = judge_get()
    listed = ", ".join(f"'{c}'" for c in _standard_regions()) or "NULL"
    parts = [
        f"CASE WHEN rpad(left(region_code, {n}), 12, '0') IN ({listed}) THEN rpad(left(region_code, {n}), 12, '0') END"
        for n in (12, 9, 6, 4, 2)
    ]
    con.execute(
        f"""CREATE OR REPLACE TABLE regsig AS
        SELECT region_code, hukou_type, program, concat_ws(',', {", ".join(parts)}) AS sig
        FROM (SELECT DISTINCT region_code, hukou_type, coalesce(program, '') AS program FROM units)"""  # noqa: S608
    )
    reps = con.execute(
        "SELECT sig, hukou_type, program, min(region_code) FROM regsig GROUP BY ALL ORDER BY 1, 2, 3"
    ).fetchall()
    con.execute("CREATE OR REPLACE TABLE std (combo INTEGER, " + ", ".join(f"{c} {t}" for c, t in judge.columns) + ")")
    rows, sigmap, missing = [], [], []
    for combo, (sig, hukou, program, region) in enumerate(reps, start=1):
        try:
            p = judge.params(region_code=region, hukou_type=hukou, as_of=as_of, program=program)
        except LookupError as exc:
            missing.append({"combo": combo, "hukou_type": hukou, "program": program, "reason": str(exc).strip("'\"")})
            continue
        rows.append([combo, *(p[c] for c, _ in judge.columns)])
        sigmap.append([sig, hukou, program, combo])
    if rows:
        insert_rows(con, "std", rows)
    con.execute("CREATE OR REPLACE TABLE sigmap (sig VARCHAR, hukou_type VARCHAR, program VARCHAR, combo INTEGER)")
    if sigmap:
        insert_rows(con, "sigmap", sigmap)
    con.execute(
        """CREATE OR REPLACE TABLE units AS
        SELECT u.* EXCLUDE (combo), s.combo FROM units u
        LEFT JOIN regsig r ON r.region_code = u.region_code AND r.hukou_type = u.hukou_type
                          AND r.program = coalesce(u.program, '')
        LEFT JOIN sigmap s ON s.sig = r.sig AND s.hukou_type = r.hukou_type AND s.program = r.program"""
    )
    return missing


def checks_run(con) -> None:
    """Tables ``units`` (with ``combo``), ``amounts`` and ``std`` → ``checks`` (:data:`CHECK_COLUMNS`)."""
    judge = judge_get()
    cols = ", ".join(f"CAST({n} AS {t}) AS {n}" for n, t in CHECK_COLUMNS.items())
    con.execute(f"CREATE OR REPLACE TABLE checks AS SELECT {cols} FROM ({judge.sql}) j")  # noqa: S608 — registered SQL


def units_create(con) -> None:
    con.execute(
        "CREATE OR REPLACE TABLE units (" + ", ".join(f"{n} {t}" for n, t in UNIT_COLUMNS.items()) + ", combo INTEGER)"
    )

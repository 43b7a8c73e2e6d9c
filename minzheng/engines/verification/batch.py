"""批量核对: everyone on a roll (or due for review this quarter) against the current partner data,
set-based in DuckDB — the list of households whose income per capita or property now exceeds the
limits, with the reasons, as an Excel file.

1. **cohort** — :func:`~minzheng.foundation.olap.cohort.cohort_load` over the roll
   (:func:`~minzheng.engines.benefits.cohort.roll_units`): one row per current member × enrollment of the
   program's roll (``due_review``: every program, enrollments whose ``next_review`` falls in the
   current quarter), under ``region``.
2. **findings** — the registered finding SQL of every enabled source over ``src_<code>``, narrowed
   to the cohort's blind indexes by a semi-join (the same SQL as a single report), then
   :data:`.findings.AMOUNTS_SQL` per enrollment (the unit judged: a household, or the one person of
   a 特困/单人户 enrollment).
3. **standards** — resolved once per standards signature × hukou type × program
   (:func:`.findings.standards_attach`); the business line's checks compare.
4. **list** — the enrollments with a limit exceeded; only these rows leave DuckDB, to be written
   to the Excel file.

Job kind ``verification.batch`` (:func:`batch_start`); ``minzheng verify batch`` runs it now.
"""

from __future__ import annotations

import datetime as dt
import shutil
import tempfile
import time
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone

from minzheng.engines.benefits.cohort import roll_units
from minzheng.engines.benefits.models import Program
from minzheng.foundation.accounts.scoping import job_region
from minzheng.foundation.audit.services import audit_record
from minzheng.foundation.exports import xlsx_bytes
from minzheng.foundation.jobs.services import job_enqueue, job_kind
from minzheng.foundation.olap import duck_connect
from minzheng.foundation.olap.cohort import cohort_load
from minzheng.foundation.plugins import Registry
from minzheng.foundation.validation import is_digits

from . import findings as fx
from .models import DataSource
from .store import duck_sources

BATCH_JOB = "verification.batch"
# What a batch may cover: the engine's own two scopes; each business line adds its programs with
# :func:`batch_scope` (the engine names no line; a second, different label for a code is refused).
PROGRAMS = Registry("批量核对范围", [("due_review", "本季度应复核对象"), ("all", "全部在册保障对象")])
GENERIC_SCOPES = ("due_review", "all")


def batch_scope(program: str, label: str) -> None:
    """Offer a benefit program (its ``Program.code``) as a batch verification scope."""
    PROGRAMS[program] = label


def batch_scopes() -> list[tuple[str, str]]:
    """The scopes to choose from: the lines' programs first, then the generic ones."""
    generic = [(k, PROGRAMS[k]) for k in GENERIC_SCOPES]
    return [(k, v) for k, v in PROGRAMS.items() if k not in GENERIC_SCOPES] + generic


FIXED_HEADERS = ["家庭编号", "户主", "户主身份证号（脱敏）", "所在区划代码", "所在区划", "保障项目", "保障编号", "计算人数",
                 "超标原因"]  # fmt: skip


def quarter(day: dt.date) -> tuple[dt.date, dt.date]:
    """The calendar quarter of ``day`` as ``[first day, first day of the next quarter)``."""
    first = dt.date(day.year, (day.month - 1) // 3 * 3 + 1, 1)
    nxt = dt.date(first.year + (first.month + 2) // 12, (first.month + 2) % 12 + 1, 1)
    return first, nxt


def _num(v) -> str:
    return "" if v is None else f"{v:,.2f}" if v % 1 else f"{v:,.0f}"


def batch_run(*, program: str, region: str = "", as_of: dt.date | None = None, progress=None,
              workdir: Path | None = None) -> tuple[dict, bytes]:  # fmt: skip
    """Run one batch verification; returns the job result (without the file id) and the Excel."""
    if program not in PROGRAMS:
        raise ValidationError({"program": f"不认识的核对范围：{program}（可选：{'、'.join(PROGRAMS)}）"})
    if region and not is_digits(region):
        raise ValidationError({"region": "区划代码须为数字"})
    as_of = as_of or timezone.localdate()
    step = progress or (lambda done, message="": None)
    base = Path(workdir or Path(settings.VAR_DIR) / "tmp")
    base.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix="verification-", dir=base))  # 0700: names and masked ids
    seconds: dict[str, float] = {}
    t0 = time.perf_counter()
    try:
        con = duck_connect(tmp)
        try:
            step(0, "导入保障对象")
            cohort_load(
                con,
                workdir=tmp,
                units=roll_units(programs=None if program in GENERIC_SCOPES else [program], region_prefix=region),
            )
            if program == "due_review":
                q0, q1 = quarter(as_of)
                con.execute(
                    "DELETE FROM cohort WHERE next_review IS NULL OR next_review < ? OR next_review >= ?", [q0, q1]
                )
            t1 = time.perf_counter()
            seconds["cohort"] = round(t1 - t0, 2)

            step(1, "挂接部门共享数据")
            enabled = DataSource.objects.filter(enabled=True).values_list("code", flat=True)
            codes = fx.finding_codes(enabled)
            used = duck_sources(con, codes=codes)
            batch_ids = {code: (b.pk if b else None) for code, b in used.items()}
            con.execute(
                "CREATE OR REPLACE TABLE subjects AS SELECT DISTINCT id_index FROM cohort WHERE id_index IS NOT NULL"
            )
            step(2, "计算核对结果")
            rows_found = fx.findings_collect(con, codes, as_of=as_of, batch_ids=batch_ids, subjects="subjects")
            con.execute(
                "CREATE OR REPLACE TABLE members AS "
                "SELECT DISTINCT enrollment_id AS unit_id, id_index, death_date IS NULL AS counted FROM cohort"
            )
            fx.amounts_build(con)
            t2 = time.perf_counter()
            seconds["findings"] = round(t2 - t1, 2)

            step(3, "对照保障标准")
            fx.units_create(con)
            con.execute(
                """INSERT INTO units SELECT enrollment_id, any_value(household_id), any_value(program),
                       any_value(region_code), any_value(hukou_type), count_if(death_date IS NULL), NULL
                   FROM cohort GROUP BY enrollment_id"""
            )
            missing = fx.standards_attach(con, as_of=as_of)
            fx.checks_run(con)
            t3 = time.perf_counter()
            seconds["judge"] = round(t3 - t2, 2)

            step(4, "生成超标名单")
            households, persons = con.execute(
                "SELECT count(DISTINCT household_id), count(DISTINCT person_id) FROM cohort"
            ).fetchone()
            con.execute(
                """CREATE OR REPLACE TABLE over_units AS
                SELECT c.unit_id, string_agg(c.label, '、' ORDER BY c.sort) AS reasons
                FROM checks c WHERE c.over GROUP BY c.unit_id"""
            )
            over_limit = con.execute(
                "SELECT count(DISTINCT u.household_id) FROM over_units o JOIN units u USING (unit_id)"
            ).fetchone()[0]
            by_reason = dict(
                con.execute(
                    """SELECT c.label, count(DISTINCT u.household_id) FROM checks c JOIN units u USING (unit_id)
                       WHERE c.over GROUP BY c.label, c.sort ORDER BY c.sort"""
                ).fetchall()
            )
            skipped = con.execute("SELECT count(DISTINCT household_id) FROM units WHERE combo IS NULL").fetchone()[0]
            labels = [r[0] for r in con.execute("SELECT DISTINCT label, sort FROM checks ORDER BY sort").fetchall()]
            head = con.execute(
                """SELECT u.unit_id, any_value(k.household_number), arg_max(k.name, k.is_head),
                          arg_max(k.id_masked, k.is_head), any_value(u.region_code), any_value(u.program),
                          any_value(k.enrollment_number), any_value(u.n), any_value(o.reasons)
                   FROM over_units o JOIN units u USING (unit_id) JOIN cohort k ON k.enrollment_id = u.unit_id
                   GROUP BY u.unit_id ORDER BY any_value(u.region_code), any_value(k.household_number), u.unit_id"""
            ).fetchall()
            detail: dict[int, dict[str, tuple]] = {}
            for unit_id, label, actual, limit_value, unit, over in con.execute(
                """SELECT c.unit_id, c.label, c.actual, c.limit_value, c.unit, c.over
                   FROM checks c SEMI JOIN over_units o USING (unit_id)"""
            ).fetchall():
                detail.setdefault(unit_id, {})[label] = (actual, limit_value, unit, over)
        finally:
            con.close()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    t4 = time.perf_counter()

    from minzheng.foundation.regions.selectors import region_names

    names = region_names({r[4] for r in head})
    program_names = dict(Program.objects.values_list("code", "short_name"))
    rows = []
    for unit_id, number, name, masked, region_code, prog, enrollment, n, _reasons in head:
        checks = detail.get(unit_id, {})
        why = "；".join(
            f"{label} {_num(a)} {unit}，超过 {_num(lim)} {unit}"
            for label, (a, lim, unit, over) in checks.items()
            if over
        )
        cells = []
        for label in labels:
            a, lim, _unit, _over = checks.get(label, (None, None, "", False))
            cells += [a, lim]
        rows.append([number, name, masked, region_code, names.get(region_code, ""), program_names.get(prog, prog),
                     enrollment, n, why, *cells])  # fmt: skip
    headers = [*FIXED_HEADERS, *[h for label in labels for h in (label, f"{label}（标准/限额）")]]
    xlsx = xlsx_bytes(title=f"批量核对超标名单-{PROGRAMS[program]}", headers=headers, rows=rows)
    seconds["excel"] = round(time.perf_counter() - t4, 2)
    seconds["total"] = round(time.perf_counter() - t0, 2)
    result = {
        "program": program,
        "region": region,
        "as_of": as_of.isoformat(),
        "households": int(households or 0),
        "persons": int(persons or 0),
        "over_limit": int(over_limit or 0),
        "by_reason": {k: int(v) for k, v in by_reason.items()},
        "batches": batch_ids,
        "findings": int(rows_found),
        "skipped": {"households": int(skipped or 0), "reasons": [m["reason"] for m in missing]},
        "seconds": seconds,
    }
    audit_record(
        action="run", object_type="verification.batch", region_code=region.ljust(12, "0") if region else "",
        summary=f"批量核对（{PROGRAMS[program]}{'，' + region if region else ''}）：{result['households']} 户，"
        f"超标 {result['over_limit']} 户",
        changes={k: result[k] for k in ("program", "region", "households", "over_limit", "by_reason", "batches")},
    )  # fmt: skip
    step(5, f"完成：{result['households']} 户，超标 {result['over_limit']} 户，用时 {seconds['total']} 秒")
    return result, xlsx


def _store_xlsx(*, data: bytes, name: str, region_code: str, user=None):
    """Keep the generated Excel as a :class:`StoredFile` (the job result points to it)."""
    from minzheng.foundation.files.services import file_store_generated

    return file_store_generated(user=user, data=data, name=name, region_code=region_code)


@job_kind(BATCH_JOB)
def batch_job(job, progress):
    """批量核对 (see the module docstring); the Excel is stored, its file id is ``report``."""
    p = job.params
    progress.total(5)
    result, xlsx = batch_run(
        program=p["program"], region=p.get("region", ""), progress=progress.advance, workdir=progress.workdir
    )
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    stored = _store_xlsx(
        data=xlsx,
        name=f"批量核对-{PROGRAMS[p['program']]}-{p.get('region') or '全部'}-{stamp}.xlsx",
        region_code=job.region_code,
        user=job.created_by,
    )
    return {**result, "report": stored.pk}


def batch_start(*, user, program: str, region: str = "", run: bool = True):
    """Queue a batch verification (``verification.batch`` over ``region``, a code prefix). Without a
    region a user with a single grant runs over that region."""
    if program not in PROGRAMS:
        raise ValidationError({"program": f"不认识的核对范围：{program}"})
    region = job_region(user=user, permission="verification.batch", region=region, doing="批量核对")
    return job_enqueue(
        kind=BATCH_JOB,
        title=f"批量核对：{PROGRAMS[program]}" + (f"（{region}）" if region else ""),
        params={"program": program, "region": region},
        user=user,
        region_code=region.ljust(12, "0") if region else "",
        run=run,
    )

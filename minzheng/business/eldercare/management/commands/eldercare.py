"""``minzheng eldercare figures|grade``: the eldercare figures of a region, and a care home's grade
from its section scores, as JSON.

minzheng eldercare figures --region CODE [--date YYYY-MM-DD]
    prints the figures of ``selectors.figures`` (homes and beds by type, 护理型床位占比 among
    特困供养机构, 集中供养率 of 特困 persons unable to care for themselves, public homes graded,
    hazards open by level, closure rate, median days to close)
minzheng eldercare grade --json F
    F is {"sections": {"环境": 110, "设施设备": 120, "运营管理": 140, "服务": 560}} (optional "sheet": a
    published sheet's code; default the seeded 1,000-point sheet of ``grading.py``); prints
    {"total", "grade" (五级 … 一级 or null), "lowest_share", "explanation"}; an unknown section or a
    score above its maximum is refused in Chinese, exit status 2
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from ...selectors import figures


def _number(value):
    """A Decimal score or share as a JSON number (an int when whole)."""
    if value is None:
        return None
    value = Decimal(value).normalize()
    return int(value) if value == value.to_integral_value() else float(value)


def _dumps(data) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2, default=str)


class Command(BaseCommand):
    help = "养老服务：统计指标（figures）、等级评定计算（grade）"

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        f = sub.add_parser("figures", help="输出区划的养老服务统计指标（JSON）")
        f.add_argument("--region", required=True, help="区划代码（12位代码或前缀）")
        f.add_argument("--date", default="", help="统计日期（默认今天），如 2026-06-30")
        g = sub.add_parser("grade", help="养老机构等级评定：按评分表计算总分和等级（JSON）")
        g.add_argument(
            "--json",
            dest="json_path",
            required=True,
            help='得分 JSON 文件：{"sections": {"环境": 110, …}, "sheet": 代码（可选）}',
        )

    def handle(self, *args, action: str, **options):
        if action == "grade":
            return self.grade(options["json_path"])
        return self.figures(options["region"], options["date"])

    def figures(self, region: str, date: str):
        on = None
        if date:
            try:
                on = dt.date.fromisoformat(date)
            except ValueError:
                raise CommandError(f"统计日期「{date}」应为日期，如 2026-06-30", returncode=2) from None
        try:
            data = figures(region=region.strip(), on=on)
        except ValidationError as exc:
            raise CommandError("；".join(exc.messages), returncode=2) from None
        self.stdout.write(_dumps(data))

    def grade(self, path: str):
        from minzheng.engines.supervision.gradings import sheet_evaluate, sheet_for

        from ...grading import SHEET_CODE
        from ...policy import KIND

        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
        except OSError as exc:
            raise CommandError(f"无法读取 {path}：{exc.strerror}", returncode=2) from None
        except (ValueError, UnicodeDecodeError):
            raise CommandError(f"{path} 不是有效的 JSON", returncode=2) from None
        if not isinstance(data, dict) or not isinstance(data.get("sections"), dict):
            raise CommandError('得分 JSON 须为 {"sections": {"评分项": 分数, …}}', returncode=2)
        code = str(data.get("sheet") or SHEET_CODE)
        sheet = sheet_for(kind=KIND, on=timezone.localdate(), code=code)
        if sheet is None:
            raise CommandError(f"没有已发布的养老机构评分表「{code}」", returncode=2)
        try:
            result = sheet_evaluate(sheet, data["sections"])
        except ValidationError as exc:
            raise CommandError("；".join(exc.messages), returncode=2) from None
        self.stdout.write(_dumps({"total": _number(result.total), "grade": result.grade,
                                  "lowest_share": _number(result.lowest_share), "explanation": result.explanation}))  # fmt: skip

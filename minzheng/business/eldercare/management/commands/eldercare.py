"""``minzheng eldercare figures``: the eldercare figures of a region as JSON.

minzheng eldercare figures --region CODE [--date YYYY-MM-DD]
    prints the figures of ``selectors.figures`` (homes and beds by type, 护理型床位占比 among
    特困供养机构, 集中供养率 of 特困 persons unable to care for themselves, public homes graded,
    hazards open by level, closure rate, median days to close)
"""

from __future__ import annotations

import datetime as dt
import json

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from ...selectors import figures


def _dumps(data) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2, default=str)


class Command(BaseCommand):
    help = "养老服务：统计指标"

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        f = sub.add_parser("figures", help="输出区划的养老服务统计指标（JSON）")
        f.add_argument("--region", required=True, help="区划代码（12位代码或前缀）")
        f.add_argument("--date", default="", help="统计日期（默认今天），如 2026-06-30")

    def handle(self, *args, action: str, **options):
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

"""``minzheng verify batch|report``: batch verification and a report as JSON.

minzheng verify batch --program dibao [--region CODE] [--out FILE.xlsx]
    prints {"households", "over_limit", "report"} (report = the Excel file written)
minzheng verify report HB2026000001
    the report as JSON (masked ID numbers only)
"""

from __future__ import annotations

import json
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from ...batch import PROGRAMS, batch_run
from ...models import VerificationReport
from ...selectors import report_data


def _dumps(data) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2, default=str)


class Command(BaseCommand):
    help = "家庭经济状况核对：批量核对保障对象（输出超标名单 Excel）、查看核对报告"

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        b = sub.add_parser("batch", help="批量核对：列出收入或财产超出标准的家庭")
        b.add_argument("--program", required=True, help=f"核对范围：{'、'.join(PROGRAMS)}")
        b.add_argument("--region", default="", help="只核对该区划（12位代码或前缀）")
        b.add_argument("--out", default="", help="超标名单 Excel 文件（默认当前目录）")
        r = sub.add_parser("report", help="输出核对报告（JSON）")
        r.add_argument("number", help="报告编号，如 HB2026000001")

    def handle(self, *args, action: str, **options):
        if action == "batch":
            return self.batch(options["program"], options["region"], options["out"])
        return self.report(options["number"])

    def batch(self, program: str, region: str, out: str):
        from minzheng.foundation.regions.selectors import region_prefix

        if program not in PROGRAMS:
            raise CommandError(f"不认识的核对范围：{program}（可选：{'、'.join(PROGRAMS)}）")
        prefix = region_prefix(region) if region else ""
        try:
            result, xlsx = batch_run(program=program, region=prefix)
        except ValidationError as exc:
            raise CommandError("；".join(exc.messages)) from None
        path = Path(out) if out else Path(f"批量核对-{program}-{timezone.localdate():%Y%m%d}.xlsx")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(xlsx)
        except OSError as exc:
            raise CommandError(f"无法写入 {path}：{exc.strerror}") from None
        self.stdout.write(_dumps({"households": result["households"], "over_limit": result["over_limit"],
                                  "report": str(path)}))  # fmt: skip

    def report(self, number: str):
        report = (
            VerificationReport.objects.select_related("request", "request__household", "issued_by")
            .filter(number=number.strip())
            .first()
        )
        if report is None:
            raise CommandError(f"找不到核对报告 {number}")
        self.stdout.write(_dumps(report_data(report)))

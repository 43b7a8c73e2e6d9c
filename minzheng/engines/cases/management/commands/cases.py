"""``minzheng cases``: the deadline calculator caseworkers and tests share, the catalogue of case
types, and the supervision list of a region."""

from __future__ import annotations

import datetime as dt
import json
import sys

from django.core.management.base import BaseCommand, CommandError

from minzheng.foundation.calendar.services import add_calendar_days, add_working_days, notice_warning, years_missing


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise CommandError(f"日期格式应为 YYYY-MM-DD：{text}") from None


class Command(BaseCommand):
    help = "事项与办件：期限计算、事项目录"

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="sub", required=True)
        d = sub.add_parser("deadline", help="期限计算：自起算日次日起算（期间开始之日不计入）")
        d.add_argument("--from", dest="start", required=True, help="起算日期（如受理日）YYYY-MM-DD")
        group = d.add_mutually_exclusive_group(required=True)
        group.add_argument("--working-days", type=int, help="工作日数")
        group.add_argument("--calendar-days", type=int, help="自然日数（如公示期）")
        sub.add_parser("types", help="列出已发布的事项及其环节、时限（JSON）")
        g = sub.add_parser("delegate", help="县级委托乡镇审核确认（或收回）某事项")
        g.add_argument("--type", dest="case_type", required=True, help="事项代码，如 dibao_application")
        g.add_argument("--region", required=True, help="乡镇或县的 12 位区划代码")
        g.add_argument("--from", dest="start", required=True, help="起始日期 YYYY-MM-DD")
        g.add_argument("--off", action="store_true", help="收回委托，由县级审核确认")
        g.add_argument("--document", default="", help="依据文件")

    def handle(self, *args, sub, **opts):
        if sub == "deadline":
            start = _date(opts["start"])
            n = opts["working_days"] if opts["working_days"] is not None else opts["calendar_days"]
            if n < 0 or n > 3650:
                raise CommandError("天数须在 0 到 3650 之间")
            due = add_working_days(start, n) if opts["working_days"] is not None else add_calendar_days(start, n)
            missing = years_missing(start, due)
            if missing and opts["working_days"] is not None:
                sys.stderr.write(f"注意：{notice_warning(missing)}\n")
            self.stdout.write(due.isoformat())
        elif sub == "delegate":
            from django.core.exceptions import ValidationError

            from minzheng.engines.cases.services import delegation_set

            try:
                d = delegation_set(user=None, case_type=opts["case_type"], region_code=opts["region"],
                                   delegated=not opts["off"], effective_from=_date(opts["start"]),
                                   document=opts["document"])  # fmt: skip
            except ValidationError as exc:
                raise CommandError("；".join(exc.messages)) from None
            self.stdout.write(json.dumps({"case_type": d.case_type_id, "region_code": d.region_code,
                                          "delegated": d.delegated, "from": d.effective_from.isoformat()},
                                         ensure_ascii=False))  # fmt: skip
        elif sub == "types":
            from minzheng.engines.cases.models import CaseType

            out = []
            for ct in CaseType.objects.select_related("published"):
                spec = ct.published.spec
                out.append({
                    "code": ct.code, "name": ct.name, "version": ct.published.version, "legal_days": spec.legal_days,
                    "steps": [{"code": s.code, "name": s.name, "role": s.role, "level": s.level,
                               "legal_days": s.legal_days, "notice_days": s.notice_days}
                              for s in spec.steps if not s.terminal],
                })  # fmt: skip
            self.stdout.write(json.dumps(out, ensure_ascii=False, indent=2))

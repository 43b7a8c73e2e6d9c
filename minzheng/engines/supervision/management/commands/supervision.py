"""``minzheng supervision overdue [--date D]``: mark overdue hazards, alert the county and escalate
(the daily job's work, for cron on the embedded default:
``15 1 * * * minzheng supervision overdue``; Celery beat queues it as a job in production).

Further sub-commands (the 双随机 draw) are added here by the modules that build them.
"""

import datetime as dt
import json

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from minzheng.engines.supervision.services import hazards_overdue_mark
from minzheng.foundation.audit.context import Actor, acting_as


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"日期 {value!r} 格式应为 YYYY-MM-DD") from None


class Command(BaseCommand):
    help = "监督检查：minzheng supervision overdue [--date D]"

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        od = sub.add_parser("overdue", help="标记逾期隐患、告知县级民政部门并逐级升级，输出 JSON")
        od.add_argument("--date", default="", help="以该日为准，默认今天")

    def handle(self, *args, action, **o):
        with acting_as(Actor(None, "cli", "", "cli")):
            return getattr(self, f"_{action}")(**o)

    def _overdue(self, *, date, **_):
        try:
            result = hazards_overdue_mark(on=_date(date) if date else None)
        except ValidationError as exc:
            raise CommandError("；".join(exc.messages)) from None
        self.stdout.write(json.dumps(result, ensure_ascii=False))

"""``minzheng supervision …``: the supervision engine's command line.

- ``overdue [--date D]``: mark overdue hazards, alert the county and escalate (the daily job's work,
  for cron on the embedded default: ``15 1 * * * minzheng supervision overdue``);
- ``draw --plan-json F``: a 双随机 draw (:func:`~..draws.draw_from_json`), printed as JSON;
- ``lists-daily [--date D]``: the lists' daily work (``45 0 * * * minzheng supervision lists-daily``).

Celery beat queues the daily work as jobs in production. Bad input: the reason in Chinese on
standard error, exit status 2."""

import datetime as dt
import json
import sys

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError

from minzheng.engines.supervision.draws import draw_from_json
from minzheng.engines.supervision.listings import listings_daily
from minzheng.engines.supervision.services import hazards_overdue_mark
from minzheng.foundation.audit.context import Actor, acting_as

BAD_INPUT = 2


def _refuse(message: str):
    raise CommandError(message, returncode=BAD_INPUT)


def _messages(exc: ValidationError) -> str:
    if hasattr(exc, "error_dict"):
        return "；".join(f"{'；'.join(v)}" for v in exc.message_dict.values())
    return "；".join(exc.messages)


def _date(value: str) -> dt.date | None:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        _refuse(f"日期 {value!r} 格式应为 YYYY-MM-DD")


def _read_json(path: str):
    try:
        stream = sys.stdin if path == "-" else open(path, encoding="utf-8-sig")
    except OSError as exc:
        _refuse(f"无法读取文件 {path}：{exc.strerror}")
    with stream:
        try:
            return json.load(stream)
        except json.JSONDecodeError as exc:
            _refuse(f"{path} 不是合法的 JSON（第 {exc.lineno} 行第 {exc.colno} 列）")
        except UnicodeDecodeError:
            _refuse(f"{path} 不是 UTF-8 编码的文本")


class Command(BaseCommand):
    help = "监督检查：minzheng supervision overdue [--date D] | draw --plan-json 文件 | lists-daily [--date D]"

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        od = sub.add_parser("overdue", help="标记逾期隐患、告知县级民政部门并逐级升级，输出 JSON")
        od.add_argument("--date", default="", help="以该日为准，默认今天")
        draw = sub.add_parser("draw", help="双随机抽取：按抽查计划 JSON 抽取检查对象和检查人员，输出 JSON")
        draw.add_argument("--plan-json", dest="plan_json", required=True, help="抽查计划 JSON 文件；- 表示标准输入")
        daily = sub.add_parser("lists-daily", help="名录到期移出与转入其他名录，输出 JSON")
        daily.add_argument("--date", default="", help="以该日为准，默认今天")

    def handle(self, *args, action, **o):
        with acting_as(Actor(None, "cli", "", "cli")):
            return getattr(self, "_" + action.replace("-", "_"))(**o)

    def _overdue(self, *, date, **_):
        try:
            result = hazards_overdue_mark(on=_date(date))
        except ValidationError as exc:
            raise CommandError(_messages(exc)) from None
        self.stdout.write(json.dumps(result, ensure_ascii=False))

    def _draw(self, *, plan_json, **_):
        data = _read_json(plan_json)
        try:
            result = draw_from_json(data)
        except (ValidationError, PermissionDenied) as exc:
            _refuse(_messages(exc) if isinstance(exc, ValidationError) else str(exc))
        self.stdout.write(json.dumps(result, ensure_ascii=False))

    def _lists_daily(self, *, date, **_):
        self.stdout.write(json.dumps(listings_daily(on=_date(date)), ensure_ascii=False))

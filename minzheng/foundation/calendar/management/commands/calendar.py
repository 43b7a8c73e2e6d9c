"""``minzheng calendar show YEAR``, ``calendar set YEAR --file F.json --source …``,
``calendar delete YEAR`` and ``calendar deadline --from DATE --working-days N``.

The JSON file of ``set`` holds a year's notice as published::

    {"holidays": [["2027-01-01", "2027-01-03", "元旦"], ...],
     "workdays": [["2027-02-07", "春节调休"], ...]}
"""

import datetime as dt
import json
from pathlib import Path

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError

from minzheng.foundation.audit.context import Actor, acting_as
from minzheng.foundation.calendar.services import (
    MISSING,
    PROVISIONAL,
    add_working_days,
    calendar_year_delete,
    calendar_year_set,
    notice_warning,
    weekday_label,
    year_calendar,
    years_missing,
)

CLI_ACTOR = Actor(None, "cli", "", "cli")


def _date(text, where: str) -> dt.date:
    try:
        return dt.date.fromisoformat(str(text))
    except ValueError:
        raise CommandError(f"{where}：日期“{text}”的格式应为 YYYY-MM-DD") from None


def _message(exc: ValidationError) -> str:
    msgs = exc.message_dict if hasattr(exc, "error_dict") else {"": exc.messages}
    return "；".join(m for v in msgs.values() for m in v)


def _missing_warning(years: list[int]) -> str:
    return "警告：" + notice_warning(years).replace("请系统管理员录入", "请用 minzheng calendar set 录入")


class Command(BaseCommand):
    help = "工作日历：show 查看一年的节假日；set 录入一年的放假通知；delete 删除本地录入；deadline 计算工作日期限"

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        show = sub.add_parser("show", help="查看一年的放假和调休上班日及数据来源")
        show.add_argument("year", type=int)
        put = sub.add_parser("set", help="从 JSON 文件录入一年的放假通知（替换该年原有的本地录入）")
        put.add_argument("year", type=int)
        put.add_argument(
            "--file", required=True, help='JSON：{"holidays": [[开始, 结束, 名称]], "workdays": [[日期, 名称]]}'
        )
        put.add_argument("--source", required=True, help="依据文件，如 国办发明电〔2026〕X号")
        delete = sub.add_parser("delete", help="删除一年的本地录入（恢复使用软件包数据）")
        delete.add_argument("year", type=int)
        deadline = sub.add_parser("deadline", help="自某日起若干个工作日的到期日（起算日不计入）")
        deadline.add_argument("--from", dest="start", required=True, help="起算日，如受理日 2026-09-30")
        deadline.add_argument("--working-days", dest="working_days", type=int, required=True)

    def handle(self, *args, action, **opts):
        try:
            with acting_as(CLI_ACTOR):
                return getattr(self, f"_{action}")(**opts)
        except ValidationError as exc:
            raise CommandError(_message(exc)) from None
        except PermissionDenied as exc:
            raise CommandError(str(exc)) from None

    def _show(self, *, year, **_):
        cal = year_calendar(year)
        if cal.status == MISSING:
            self.stdout.write(_missing_warning([year]))
            return
        if cal.status == PROVISIONAL:
            self.stdout.write(_missing_warning([year]))
            self.stdout.write(f"{year}年：{cal.status_label}，依据 {cal.source}")
        elif cal.entered:
            who = cal.entered.entered_by or "命令行"
            self.stdout.write(f"{year}年：本地录入，依据 {cal.source}（{who} {cal.entered.entered_at:%Y-%m-%d %H:%M}）")
        else:
            self.stdout.write(f"{year}年：软件包数据（{cal.source}）")
        for first, last, name in cal.holiday_ranges():
            days = (last - first).days + 1
            self.stdout.write(f"放假      {first} 至 {last}  {name}（{days}天）")
        for day, name in cal.workday_list():
            self.stdout.write(f"调休上班  {day} {weekday_label(day)}  {name}")

    def _set(self, *, year, file, source, **_):
        path = Path(file)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise CommandError(f"找不到文件 {file}") from None
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise CommandError(f"无法读取 {file}：{exc}") from None
        if not isinstance(data, dict):
            raise CommandError('文件内容应为 {"holidays": [...], "workdays": [...]}')
        holidays, workdays = [], []
        for i, item in enumerate(data.get("holidays") or [], 1):
            if not isinstance(item, list) or len(item) != 3:
                raise CommandError(f"holidays 第{i}项应为 [开始日期, 结束日期, 名称]")
            where = f"holidays 第{i}项"
            holidays.append((_date(item[0], where), _date(item[1], where), str(item[2])))
        for i, item in enumerate(data.get("workdays") or [], 1):
            if not isinstance(item, list) or len(item) != 2:
                raise CommandError(f"workdays 第{i}项应为 [日期, 名称]")
            workdays.append((_date(item[0], f"workdays 第{i}项"), str(item[1])))
        calendar_year_set(user=None, year=year, holidays=holidays, workdays=workdays, source=source)
        cal = year_calendar(year)
        self.stdout.write(
            f"已录入{year}年节假日安排：放假{len(cal.holiday_ranges())}段共{len(cal.holidays)}天，"
            f"调休上班{len(cal.workdays)}天（依据 {source}）"
        )

    def _delete(self, *, year, **_):
        calendar_year_delete(user=None, year=year)
        cal = year_calendar(year)
        self.stdout.write(f"已删除{year}年的本地录入，现用：{cal.status_label}")

    def _deadline(self, *, start, working_days, **_):
        begin = _date(start, "--from")
        if working_days < 0:
            raise CommandError("--working-days 不能为负数")
        due = add_working_days(begin, working_days)
        missing = years_missing(begin, due)
        if missing:
            self.stderr.write(_missing_warning(missing))
        self.stdout.write(due.isoformat())

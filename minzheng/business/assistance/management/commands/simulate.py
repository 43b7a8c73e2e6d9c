"""``minzheng simulate --dibao-change 8% --from 2027-01 [--change KEY=VALUE …] [--region CODE] [--json]``:
提标测算 over every household with means, run now as a recorded background job, and its report."""

import datetime as dt
import json
import sys

from django.core.management.base import BaseCommand, CommandError

from minzheng.business.assistance import simulation as sim
from minzheng.engines.benefits.services import next_month
from minzheng.foundation.jobs.models import JobState
from minzheng.foundation.jobs.services import job_run
from minzheng.foundation.regions.selectors import region_prefix


def month(value: str) -> dt.date:
    try:
        return dt.datetime.strptime(value.strip(), "%Y-%m").date()
    except ValueError:
        raise CommandError(f"月份“{value}”格式不正确，应为 YYYY-MM，如 2027-01") from None


class Command(BaseCommand):
    help = "提标测算：标准调整后新增多少保障对象、每年多花多少钱（按乡镇街道和县区汇总）"

    def add_arguments(self, parser):
        parser.add_argument("--dibao-change", help="低保标准调整：8%（百分比）、+100（增加金额）或 1300（新标准）")
        parser.add_argument(
            "--change", action="append", default=[], metavar="KEY=VALUE",
            help=f"其他标准的调整，可多次使用；可调整：{'、'.join(sim.CHANGEABLE)}",
        )  # fmt: skip
        parser.add_argument("--from", dest="start", help="生效月份 YYYY-MM（默认下月）")
        parser.add_argument("--region", default="", help="只测算该区划（12位代码或前缀）")
        parser.add_argument("--json", action="store_true", help="输出 JSON")

    def handle(self, *args, dibao_change, change, start, region, json: bool, **options):
        changes = []
        try:
            if dibao_change:
                changes.append(sim.change_parse("dibao_monthly", dibao_change))
            for item in change:
                key, sep, value = item.partition("=")
                if not sep:
                    raise CommandError(f"--change “{item}” 应为 KEY=VALUE，如 category_topup_monthly=+20")
                changes.append(sim.change_parse(key.strip(), value))
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        if not changes:
            raise CommandError("请至少指定一项调整，如 --dibao-change 8%")
        as_of = month(start) if start else next_month()
        prefix = region_prefix(region) if region else ""
        job = sim.simulation_start(user=None, as_of=as_of, changes=changes, region=prefix, run=False)
        job = job_run(job.pk)
        if job.state != JobState.SUCCEEDED:
            raise CommandError(f"测算失败（任务 {job.pk}）：{job.error}")
        report = sim.report_build(job.result)
        if json:
            self.stdout.write(_dumps(sim.report_json(report)))
        else:
            self.stdout.write(sim.report_text(report))
            self.stdout.flush()
            self.stderr.write(f"任务 {job.pk}，用时 {job.result['seconds'].get('total', 0)} 秒")
        sys.stdout.flush()


def _dumps(data) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2)

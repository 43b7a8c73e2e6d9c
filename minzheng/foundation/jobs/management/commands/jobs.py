"""``minzheng jobs work [--loop]``: reap the jobs of dead workers, run queued jobs; ``minzheng jobs
reap``; ``minzheng jobs list``."""

import json
import time

from django.conf import settings
from django.core.management.base import BaseCommand

from minzheng.foundation.jobs.models import JobRun
from minzheng.foundation.jobs.services import jobs_reap, jobs_work_once


class Command(BaseCommand):
    help = "后台任务：work 回收中断的任务并运行排队中的任务；reap 只回收中断的任务；list 列出最近任务"

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        work = sub.add_parser("work")
        work.add_argument("--loop", action="store_true", help="持续轮询（每2秒）")
        sub.add_parser("reap", help="回收执行进程已中断（租约过期）的任务：重新排队或标记失败")
        sub.add_parser("list")

    def handle(self, *args, action, **opts):
        if action == "list":
            for job in JobRun.objects.all()[:50]:
                self.stdout.write(
                    json.dumps(
                        {
                            "id": job.pk,
                            "kind": job.kind,
                            "state": job.state,
                            "progress": job.progress,
                            "total": job.total,
                            "attempts": job.attempts,
                            "region": job.region_code or None,
                            "error": job.error or None,
                        },
                        ensure_ascii=False,
                    )
                )
            return
        while True:
            self._reap(dispatch_requeued=action == "reap" and settings.MINZHENG_JOBS == "celery")
            if action == "reap":
                return
            n = jobs_work_once(reap=False)
            if n:
                self.stdout.write(f"运行了 {n} 个任务")
            if not opts["loop"]:
                return
            time.sleep(2)

    def _reap(self, **kwargs):
        reaped = jobs_reap(**kwargs)
        if reaped["requeued"]:
            self.stdout.write(f"重新排队 {len(reaped['requeued'])} 个中断的任务：{reaped['requeued']}")
        if reaped["failed"]:
            self.stdout.write(f"标记失败 {len(reaped['failed'])} 个中断的任务：{reaped['failed']}")

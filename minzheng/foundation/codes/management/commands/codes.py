"""``minzheng codes check VALUE… | --file F``: one JSON object per value."""

import json
import sys

from django.core.management.base import BaseCommand, CommandError

from minzheng.foundation.codes.check import check_value


class Command(BaseCommand):
    help = "检查身份证号 / 统一社会信用代码：minzheng codes check VALUE… 或 --file 文件（每行一个）"

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        check = sub.add_parser("check", help="校验并解析")
        check.add_argument("values", nargs="*")
        check.add_argument("--file", help="每行一个值的文本文件；- 表示标准输入")

    def handle(self, *args, action, values, file=None, **options):
        items = list(values)
        if file:
            try:
                stream = sys.stdin if file == "-" else open(file, encoding="utf-8-sig")
            except OSError as exc:
                raise CommandError(f"无法读取文件 {file}：{exc.strerror}") from None
            with stream:
                items.extend(line.strip() for line in stream if line.strip())
        if not items:
            raise CommandError("请给出要检查的值，或用 --file 指定文件")
        invalid = 0
        for value in items:
            result = check_value(value)
            invalid += not result["valid"]
            self.stdout.write(json.dumps(result, ensure_ascii=False))

"""``minzheng audit verify``: walk the hash chain; exit 1 at the first broken link."""

import json

from django.core.management.base import BaseCommand, CommandError

from minzheng.foundation.audit.services import audit_verify


class Command(BaseCommand):
    help = "审计日志：verify 校验哈希链"

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("verify", help="校验哈希链，报告第一处断裂")

    def handle(self, *args, action, **opts):
        result = audit_verify()
        self.stdout.write(
            json.dumps(
                {
                    "ok": result.ok,
                    "checked": result.checked,
                    "broken_seq": result.broken_seq,
                    "reason": result.reason or None,
                },
                ensure_ascii=False,
            )
        )
        if not result.ok:
            raise CommandError(result.reason)

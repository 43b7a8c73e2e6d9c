"""``minzheng notify deliver``: send queued messages now; ``minzheng notify list [--limit N]``."""

import json

from django.core.management.base import BaseCommand
from django.utils import timezone

from minzheng.foundation.notify.models import Message
from minzheng.foundation.notify.services import notify_deliver_queued


class Command(BaseCommand):
    help = "消息通知：deliver 立即发送排队中的消息；list 列出最近的消息（手机号脱敏）"

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("deliver", help="立即发送排队中的消息")
        listing = sub.add_parser("list", help="列出最近的消息")
        listing.add_argument("--limit", type=int, default=50, help="条数（默认50）")

    def handle(self, *args, action, **opts):
        if action == "deliver":
            counts = notify_deliver_queued()
            self.stdout.write(f"已发送 {counts['sent']} 条，失败 {counts['failed']} 条")
            return
        rows = Message.objects.select_related("recipient").defer("phone").order_by("-created_at", "-id")
        for m in rows[: max(opts["limit"], 0)]:
            self.stdout.write(
                json.dumps(
                    {
                        "id": m.pk,
                        "created_at": timezone.localtime(m.created_at).isoformat(timespec="seconds"),
                        "channel": m.channel,
                        "to": m.recipient_display,
                        "subject": m.subject,
                        "body": m.body if len(m.body) <= 80 else m.body[:79] + "…",
                        "status": m.status,
                        "backend": m.backend,
                        "attempts": m.attempts,
                        "error": m.error or None,
                        "region_code": m.region_code,
                    },
                    ensure_ascii=False,
                )
            )

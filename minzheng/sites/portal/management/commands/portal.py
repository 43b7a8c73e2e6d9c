"""``minzheng portal assistant``: register a village assistant (村协理员) of the citizen portal.

    minzheng portal assistant --phone 13812345678 --region 330381001001
    minzheng portal assistant --phone 13812345678 --clear

The township registers the assistant's phone for one village (村/社区); signed in on the portal
with that phone and real-name bound, the assistant may apply for anyone living in that village
(代办, recorded on the case). Creates the citizen account when the phone never signed in. Audited.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from minzheng.sites.portal.services import assistant_register


class Command(BaseCommand):
    help = "网上办事大厅：assistant 登记或撤销村（社区）协理员"

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        assistant = sub.add_parser("assistant", help="登记村（社区）协理员")
        assistant.add_argument("--phone", required=True, help="协理员手机号")
        group = assistant.add_mutually_exclusive_group(required=True)
        group.add_argument("--region", help="村（社区）的12位区划代码")
        group.add_argument("--clear", action="store_true", help="撤销协理员登记")

    def handle(self, *args, action, **opts):
        getattr(self, f"do_{action}")(**opts)

    def do_assistant(self, *, phone, region, clear, **opts):
        try:
            citizen = assistant_register(phone=phone, region_code="" if clear else region)
        except ValidationError as exc:
            raise CommandError("；".join(exc.messages)) from None
        if clear:
            self.stdout.write(f"已撤销协理员：{citizen.phone_masked}")
        else:
            self.stdout.write(f"已登记协理员：{citizen.phone_masked} → {citizen.assistant_region_code}")

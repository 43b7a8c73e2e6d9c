"""``minzheng users create --username U --password P --role ROLE --region CODE [--role … --region …]``."""

import json

from django.core.management.base import BaseCommand, CommandError

from minzheng.foundation.accounts.models import User
from minzheng.foundation.accounts.services import AccountError, user_create


class Command(BaseCommand):
    help = "工作人员：create 新建（--role 与 --region 成对，可重复）；list 列出"

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create")
        create.add_argument("--username", required=True)
        create.add_argument("--password", required=True)
        create.add_argument("--name", default="", help="姓名")
        create.add_argument("--role", action="append", required=True, help="角色代码或中文名，可重复")
        create.add_argument("--region", action="append", required=True, help="12位区划代码或6位GB/T 2260代码，可重复")
        sub.add_parser("list")

    def handle(self, *args, action, **opts):
        if action == "list":
            for user in User.objects.prefetch_related("grants__role", "grants__region").order_by("username"):
                grants = [
                    {"role": g.role.name, "region": g.region_id, "region_name": g.region.name}
                    for g in user.grants.all()
                ]
                self.stdout.write(
                    json.dumps(
                        {"username": user.username, "name": user.display_name, "grants": grants},
                        ensure_ascii=False,
                    )
                )
            return
        roles, regions = opts["role"], opts["region"]
        if len(roles) == 1:
            roles = roles * len(regions)
        elif len(regions) == 1:
            regions = regions * len(roles)
        if len(roles) != len(regions):
            raise CommandError("--role 与 --region 的个数应相同（或其中一个只给一次）")
        try:
            user = user_create(
                username=opts["username"],
                password=opts["password"],
                display_name=opts["name"],
                grants=list(zip(roles, regions, strict=True)),
            )
        except AccountError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(
            json.dumps(
                {"username": user.username, "id": user.pk, "grants": [g.prefix for g in user.grants.all()]},
                ensure_ascii=False,
            )
        )

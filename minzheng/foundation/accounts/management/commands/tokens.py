"""``minzheng tokens issue|list|revoke``: API tokens, in particular scoped partner tokens.

    minzheng tokens issue --user gaj_push --scope sources:death [--scope sources:vehicle] --days 365
        [--name 公安推送] [--create]          --create: a partner user (no grants, no password)
    minzheng tokens list [--user U]
    minzheng tokens revoke ID

``issue`` prints the token once (only its SM3 hash is kept). A token with scopes is accepted only
by the endpoints that require one of them (ADR 0008); without ``--scope`` it acts with the user's
own grants, like the token from ``POST /api/v1/auth/token``.
"""

from __future__ import annotations

import json
import re

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from minzheng.foundation.accounts.models import ApiToken, User
from minzheng.foundation.accounts.services import token_issue, token_revoke
from minzheng.foundation.audit.services import audit_record

SCOPE = re.compile(r"^[a-z_]+:[a-z_]+$")


class Command(BaseCommand):
    help = "接口令牌：issue 签发（可限定范围，如 sources:death）；list 列出；revoke 吊销"

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        issue = sub.add_parser("issue")
        issue.add_argument("--user", required=True, help="用户名")
        issue.add_argument(
            "--scope", action="append", default=[], help="范围，如 sources:death、hardship:report；可重复"
        )
        issue.add_argument("--days", type=int, default=365, help="有效天数（默认 365）")
        issue.add_argument("--name", default="", help="令牌名称，如 公安局推送")
        issue.add_argument("--create", action="store_true", help="用户不存在时新建为部门接口用户（无授权、不能登录）")
        listing = sub.add_parser("list")
        listing.add_argument("--user", default=None)
        revoke = sub.add_parser("revoke")
        revoke.add_argument("id", type=int)

    def _json(self, data) -> None:
        self.stdout.write(json.dumps(data, ensure_ascii=False, default=str))

    def handle(self, *args, action, **opts):
        getattr(self, f"do_{action}")(**opts)

    def do_issue(self, *, user, scope, days, name, create, **opts):
        bad = [s for s in scope if not SCOPE.match(s)]
        if bad:
            raise CommandError(f"范围格式应为 类别:名称（如 sources:death）：{'、'.join(bad)}")
        if not 1 <= days <= 3650:
            raise CommandError("有效天数应在 1 到 3650 之间")
        with transaction.atomic():
            account = User.objects.filter(username=user).first()
            if account is None:
                if not create:
                    raise CommandError(f"找不到用户 {user}（部门接口用户可加 --create 新建）")
                account = User(username=user, display_name=name or user)
                account.set_unusable_password()
                account.save()
                audit_record(
                    action="create",
                    object_type="accounts.user",
                    object_id=account.pk,
                    summary=f"新建部门接口用户 {user}（无授权）",
                    changes={"scopes": scope},
                )
            plain = token_issue(user=account, name=name, hours=days * 24, scopes=scope, audited=True)
        token = ApiToken.objects.filter(user=account).order_by("-pk").first()
        self._json(
            {"id": token.pk, "user": account.username, "scopes": token.scopes, "expires_at": token.expires_at,
             "token": plain}
        )  # fmt: skip
        self.stderr.write("令牌只显示这一次，请妥善保存。")

    def do_list(self, *, user, **opts):
        qs = ApiToken.objects.select_related("user").order_by("pk")
        if user:
            qs = qs.filter(user__username=user)
        now = timezone.now()
        for t in qs:
            self._json(
                {"id": t.pk, "user": t.user.username, "name": t.name, "scopes": t.scopes, "created_at": t.created_at,
                 "expires_at": t.expires_at, "last_used_at": t.last_used_at, "active": t.expires_at > now}
            )  # fmt: skip

    def do_revoke(self, *, id, **opts):
        token = ApiToken.objects.select_related("user").filter(pk=id).first()
        if token is None:
            raise CommandError(f"找不到令牌 {id}")
        token_revoke(token=token)
        self._json({"id": token.pk, "revoked": True})

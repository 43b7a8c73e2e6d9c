"""``minzheng keys rotate [--generate]`` and ``minzheng keys status``."""

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from minzheng.foundation.audit.services import audit_record
from minzheng.foundation.crypto.keys import KeyError_, keyring, new_key_entry, reset_keyring
from minzheng.foundation.crypto.rotation import encrypted_columns, keys_rotate


class Command(BaseCommand):
    help = "密钥：rotate 用当前密钥重新加密全部加密字段；status 查看密钥状态"

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        rotate = sub.add_parser("rotate")
        rotate.add_argument(
            "--generate",
            action="store_true",
            help="先生成新密钥并设为当前密钥（仅限本地密钥文件；使用 MINZHENG_KEYS 时请把新密钥放在首位）",
        )
        sub.add_parser("status")

    def handle(self, *args, action, **opts):
        try:
            ring = keyring()
        except KeyError_ as exc:
            raise CommandError(str(exc)) from None
        if action == "status":
            self.stdout.write(json.dumps({"source": ring.source, "current": ring.current[0], "keys": [k for k, _ in ring.data_keys],
                                          "columns": [f"{m._meta.label}.{f.name}" for m, f in encrypted_columns()]}, ensure_ascii=False))  # fmt: skip
            return
        if opts["generate"]:
            if ring.source == "MINZHENG_KEYS":
                raise CommandError("密钥来自 MINZHENG_KEYS：请在环境变量首位加入新密钥后再运行 keys rotate")
            path = Path(ring.source)
            kid = f"k{len(ring.data_keys) + 1}"
            while any(k == kid for k, _ in ring.data_keys):
                kid += "x"
            path.write_text(new_key_entry(kid) + "\n" + path.read_text())
            reset_keyring()
            self.stderr.write(f"已生成新密钥 {kid}")

        def progress(column, done):
            self.stderr.write(f"\r{column}: {done}", ending="")

        result = keys_rotate(progress=progress)
        self.stderr.write("")
        audit_record(
            action="keys_rotate",
            object_type="crypto.key",
            object_id=result["current_key"],
            summary="密钥轮换",
            changes=result["reencrypted"],
        )
        self.stdout.write(json.dumps(result, ensure_ascii=False))

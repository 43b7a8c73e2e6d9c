"""``minzheng audit verify [--checkpoint]``: walk the chain against the head row and the
checkpoints, exit 1 at the first fault; ``audit checkpoint [--if-moved]``: anchor the head in the
checkpoint file; ``audit checkpoints [--format text|csv] [--out FILE]``: the checkpoints for the
等保 auditor (ADR 0014)."""

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from minzheng.foundation.audit.anchor import checkpoints_export
from minzheng.foundation.audit.services import AuditChainError, audit_checkpoint, audit_verify


def _checkpoint_json(cp):
    return None if cp is None else {"no": cp.no, "seq": cp.seq, "count": cp.count, "at": cp.at.isoformat()}


class Command(BaseCommand):
    help = "审计日志：verify 校验审计链与检查点；checkpoint 写入检查点；checkpoints 导出检查点清单"

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        verify = sub.add_parser("verify", help="校验审计链（HMAC-SM3）与检查点，报告第一处问题")
        verify.add_argument("--checkpoint", action="store_true", help="校验通过后写入一个检查点")
        cp = sub.add_parser("checkpoint", help="校验上一检查点以来的记录并写入检查点")
        cp.add_argument("--if-moved", action="store_true", help="审计链自上一检查点以来没有新记录时不写")
        export = sub.add_parser("checkpoints", help="导出检查点清单（供等保测评核对）")
        export.add_argument("--format", choices=["text", "csv"], default="text")
        export.add_argument("--out", help="写入文件（默认输出到屏幕）")

    def handle(self, *args, action, **opts):
        if action == "checkpoints":
            text = checkpoints_export(fmt=opts["format"])
            if opts["out"]:
                # CSV with a BOM so that Excel opens it as UTF-8
                Path(opts["out"]).write_text(text, encoding="utf-8-sig" if opts["format"] == "csv" else "utf-8")
            else:
                self.stdout.write(text, ending="")
            return
        if action == "checkpoint":
            try:
                cp = audit_checkpoint(if_moved=opts["if_moved"])
            except AuditChainError as exc:
                raise CommandError(f"未写入检查点：{exc}") from None
            self.stdout.write(json.dumps({"written": _checkpoint_json(cp)}, ensure_ascii=False))
            return
        result = audit_verify()
        written = None
        if result.ok and opts["checkpoint"]:
            try:
                written = audit_checkpoint()
            except AuditChainError as exc:  # rows written between the two walks that do not verify
                raise CommandError(f"未写入检查点：{exc}") from None
        out = {
            "ok": result.ok,
            "checked": result.checked,
            "broken_seq": result.broken_seq,
            "reason": result.reason or None,
            "checkpoints": result.checkpoints,
            "last_checkpoint": _checkpoint_json(result.last_checkpoint),
            "unanchored": result.unanchored,
            "warning": result.warning or None,
        }
        if opts["checkpoint"]:
            out["written"] = _checkpoint_json(written)
        self.stdout.write(json.dumps(out, ensure_ascii=False))
        if not result.ok:
            raise CommandError(result.reason)

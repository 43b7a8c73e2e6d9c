"""``minzheng payroll generate|held|release|approve|export|reconcile|reissue|failed``: the monthly payroll.

    minzheng payroll generate --program dibao --month 2026-12 [--region CODE] [--user U]
    minzheng payroll held --program dibao --month 2026-12                      (held lines and why)
    minzheng payroll release --program dibao --month 2026-12 --line N --reason TEXT --user U
    minzheng payroll approve --program dibao --month 2026-12 --user U          (not the calculator)
    minzheng payroll export --program dibao --month 2026-12 --out FILE [--format csv|fixed_gb18030]
    minzheng payroll reconcile --program dibao --month 2026-12 --file RESULT
    minzheng payroll reissue --program dibao --month 2026-12 --user U [--line N …]
    minzheng payroll failed --program dibao --month 2026-12

Each prints a JSON summary with at least ``{"lines", "total", "held", "no_account", "state"}``
(money as a string with two decimals; ``held``: lines not paid for a reason a hold check found,
e.g. a payee recorded dead; ``no_account``: lines to pay without a bank account). Bad input: a Chinese message on standard error and exit code 1.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from minzheng.engines.benefits import bankfiles, selectors
from minzheng.engines.benefits.payroll import (
    MAKER_REFUSAL,
    NO_ACCOUNT,
    NO_PAYEE,
    ReconcileRefused,
    approval_figures,
    cycle_summary,
    held_lines,
    line_reference,
    month_parse,
    payroll_approve,
    payroll_export,
    payroll_generate,
    payroll_hold_release,
    payroll_reconcile,
    payroll_reissue,
)
from minzheng.foundation.accounts.models import User
from minzheng.foundation.accounts.scoping import permission_require
from minzheng.foundation.audit.context import acting_as, actor_for_user
from minzheng.foundation.parameters.standards import MissingStandard

ARGPARSE_ZH = [
    (r"the following arguments are required: (.*)", "缺少参数：{0}"),
    (r"argument (\S+): invalid choice: '?([^' ]*)'? \(choose from (.*)\)", "参数 {0} 的取值“{1}”无效，可选：{2}"),
    (r"argument (\S+): expected one argument", "参数 {0} 需要一个值"),
    (r"argument (\S+): invalid int value: '?([^']*)'?", "参数 {0} 应为整数，实为“{1}”"),
    (r"unrecognized arguments: (.*)", "不认识的参数：{0}"),
]


def _parser_error(parser: CommandParser, message: str):
    for pattern, zh in ARGPARSE_ZH:
        m = re.fullmatch(pattern, message)
        if m:
            message = zh.format(*m.groups())
            break
    if not parser.called_from_command_line:
        raise CommandError(message)
    parser.print_usage(sys.stderr)
    parser.exit(1, f"参数有误：{message}\n")


def _chinese_errors(parser: CommandParser) -> CommandParser:
    parser.error = lambda message: _parser_error(parser, message)
    return parser


def _message(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return "；".join(exc.messages)
    return str(exc)


class Command(BaseCommand):
    help = "月度社会化发放：generate 生成/重算，approve 审批，export 导出银行文件，reconcile 银行回盘对账，reissue 补发，failed 失败明细"

    def create_parser(self, prog_name, subcommand, **kwargs):
        return _chinese_errors(super().create_parser(prog_name, subcommand, **kwargs))

    def add_arguments(self, parser):
        sub = parser.add_subparsers(
            dest="action",
            required=True,
            metavar="{generate,held,release,approve,export,reconcile,reissue,failed,expire}",
        )
        helps = {
            "generate": "生成（或重新计算）发放批次",
            "held": "列出暂缓发放的明细及原因（脱敏）",
            "release": "解除一笔明细的暂缓发放（审批前，须写明理由，--line --reason --user）",
            "approve": "审批发放批次（须由计算人以外的财务人员，--user）",
            "export": "导出银行代发文件（含身份证号、账号明文，记入审计）",
            "reconcile": "导入银行回盘文件对账（任何一行无法核对则整份不生效）",
            "reissue": "补发失败明细（按家庭现登记的银行账号），再用 export 导出",
            "failed": "列出失败明细（脱敏）",
            "expire": "渐退期已满的保障对象自 --month 起退出（幂等；Celery beat 每日执行，嵌入式部署用 cron）",
        }
        for action, text in helps.items():
            p = _chinese_errors(sub.add_parser(action, help=text))
            p.add_argument("--program", default="", help="保障项目代码，如 dibao")
            p.add_argument("--month", default="", help="发放月份 YYYY-MM，如 2026-12")
            p.add_argument("--region", default="", help="发放区划（12位或6位代码）；默认为覆盖全部保障对象的最小区划")
            p.add_argument("--user", default="", help="办理人用户名（审批、补发必填）")
            if action == "export":
                p.add_argument("--out", default="", help="写入的文件")
                p.add_argument("--format", default="csv", help=f"银行文件格式：{'、'.join(bankfiles.FORMATS)}")
            if action == "reconcile":
                p.add_argument("--file", default="", help="银行回盘文件")
            if action == "reissue":
                p.add_argument("--line", type=int, action="append", help="只补发这些序号（可重复）")
            if action == "approve":
                p.add_argument(
                    "--confirm",
                    default="",
                    help="核对过的数字「笔数/总额/暂缓笔数/暂缓金额」，如 1200/1416000.00/3/5588.00；"
                    "不带此参数时只列出待审批的数字、暂缓发放和无账号的明细，不审批",
                )
            if action == "release":
                p.add_argument("--line", type=int, default=None, help="明细序号")
                p.add_argument("--reason", default="", help="解除理由，如：经入户核实本人健在，死亡登记有误")

    def handle(self, *args, action, **opts):
        for name in ("month",) if action == "expire" else ("program", "month"):
            if not opts[name]:
                raise CommandError(f"缺少参数 --{name}")
        user = None
        if opts["user"]:
            user = User.objects.filter(username=opts["user"]).first()
            if user is None:
                raise CommandError(f"没有用户名为 {opts['user']} 的工作人员")
        actor = actor_for_user(user, channel="cli") if user else None
        try:
            if actor is None:
                return self.run(action, user, opts)
            with acting_as(actor):
                return self.run(action, user, opts)
        except ReconcileRefused as exc:
            self.stderr.write(f"回盘文件有 {len(exc.report)} 处无法核对，未做任何更改：")
            for line in exc.report:
                self.stderr.write(f"  {line}")
            raise CommandError("对账未生效") from None
        except (ValidationError, PermissionDenied, MissingStandard) as exc:
            raise CommandError(_message(exc)) from None

    def emit(self, data: dict) -> None:
        self.stdout.write(json.dumps(data, ensure_ascii=False))

    def held_summary(self, cycle) -> dict:
        """The cycle's figures with its held lines (reasons, releases) and the lines without an account."""
        data = cycle_summary(cycle)
        data["held_lines"] = [
            {"line": r["line"].line_no, "payee": r["line"].payee_name, "id_number": r["line"].payee_id_number_masked,
             "amount": f"{r['line'].amount:.2f}", "held": r["held"],
             "reasons": [h.reason for h in r["holds"]],
             "released": [{"by": str(h.released_by), "reason": h.release_reason} for h in r["holds"] if h.released_at]}
            for r in held_lines(cycle)
        ]  # fmt: skip
        return data

    def run(self, action: str, user, opts: dict) -> None:
        program, month, region = opts["program"], opts["month"], opts["region"] or None
        if action == "expire":
            from minzheng.engines.benefits.services import phase_out_expire

            return self.emit({"month": month, "exited": phase_out_expire(month=month_parse(month))})
        if action == "generate":
            cycle = payroll_generate(user=user, program=program, month=month, region_code=region)
            return self.emit(cycle_summary(cycle))
        cycle = selectors.cycle_find(user=user, program=program, month=month, region_code=region)
        if action == "held":
            return self.emit(self.held_summary(cycle))
        if action == "release":
            if user is None:
                raise CommandError("解除暂缓发放须用 --user 指定办理人")
            if opts["line"] is None:
                raise CommandError("缺少参数 --line（明细序号）")
            payroll_hold_release(user=user, cycle=cycle, line_no=opts["line"], reason=opts["reason"])
            cycle.refresh_from_db()
            return self.emit(cycle_summary(cycle))
        if action == "approve":
            if user is None:
                raise CommandError("审批须用 --user 指定审批人（不能是计算该批次的人）")
            # who may not approve is told so before being shown anything to confirm
            permission_require(user, "payroll.approve", cycle.region_code, message="无权办理该区划的发放业务")
            if cycle.calculated_by_id == user.pk:
                raise CommandError(MAKER_REFUSAL)
            figures = approval_figures(cycle)
            confirm = "/".join(str(figures[k]) for k in ("lines", "total", "held_lines", "held_total"))
            if not opts["confirm"]:
                # as the approve page: the approver sees the figures, the held lines and the lines
                # without an account first, and approves only what they confirmed (issue 13 item 3)
                data = self.held_summary(cycle)
                data.update(approved=False, confirm=confirm, hint=f"核对无误后加 --confirm {confirm} 审批")
                return self.emit(data)
            seen = dict(zip(("lines", "total", "held_lines", "held_total"), opts["confirm"].split("/"), strict=False))
            if seen.keys() != figures.keys():
                raise CommandError(f"--confirm 应为「笔数/总额/暂缓笔数/暂缓金额」，如 {confirm}")
            seen = {k: int(v) if k.endswith("lines") and v.isascii() and v.isdigit() else v for k, v in seen.items()}
            return self.emit(cycle_summary(payroll_approve(user=user, cycle=cycle, seen=seen)))
        if action == "export":
            if not opts["out"]:
                raise CommandError("缺少参数 --out（银行文件写入的位置）")
            out = Path(opts["out"])
            if not out.parent.is_dir():
                raise CommandError(f"目录 {out.parent} 不存在")
            content = payroll_export(user=user, cycle=cycle, format=opts["format"])
            out.write_bytes(content)
            cycle.refresh_from_db()
            skipped = selectors.payroll_failed_lines(user=user, cycle=cycle).filter(
                failure_reason__in=[NO_ACCOUNT, NO_PAYEE]
            )
            data = cycle_summary(cycle)
            data.update(
                out=str(out),
                format=cycle.bank_format,
                exported_lines=cycle.entitlements.filter(status="pending").count(),
                not_exported=[
                    {"line": e.line_no, "reference": line_reference(cycle, e.line_no, e.reissues),
                     "payee": e.payee_name, "reason": e.failure_reason}
                    for e in skipped
                ],
            )  # fmt: skip
            return self.emit(data)
        if action == "reconcile":
            if not opts["file"]:
                raise CommandError("缺少参数 --file（银行回盘文件）")
            content = Path(opts["file"])
            if not content.is_file():
                raise CommandError(f"无法读取文件 {opts['file']}：文件不存在")
            try:
                result = payroll_reconcile(user=user, cycle=cycle, content=content)  # read within the caps
            except OSError as exc:
                raise CommandError(f"无法读取文件 {opts['file']}：{exc.strerror}") from None
            cycle.refresh_from_db()
            data = cycle_summary(cycle)
            data.update(
                paid=result.paid, paid_total=f"{result.paid_total:.2f}", failed=result.failed,
                failed_total=f"{result.failed_total:.2f}", unchanged=result.unchanged, pending=result.pending,
                result_format=result.format,
            )  # fmt: skip
            return self.emit(data)
        if action == "reissue":
            if user is None:
                raise CommandError("补发须用 --user 指定办理人")
            result = payroll_reissue(user=user, cycle=cycle, line_nos=opts["line"])
            cycle.refresh_from_db()
            data = cycle_summary(cycle)
            data.update(
                reissued=result.lines, reissued_total=f"{result.total:.2f}", without_account=result.without_account
            )
            return self.emit(data)
        if action == "failed":
            data = cycle_summary(cycle)
            data["failed"] = [
                {"line": e.line_no, "reference": line_reference(cycle, e.line_no, e.reissues), "payee": e.payee_name,
                 "id_number": e.payee_id_number_masked, "account": e.bank_account_masked, "amount": f"{e.amount:.2f}",
                 "reason": e.failure_reason}
                for e in selectors.payroll_failed_lines(user=user, cycle=cycle)
            ]  # fmt: skip
            return self.emit(data)
        raise CommandError(f"不认识的操作：{action}")

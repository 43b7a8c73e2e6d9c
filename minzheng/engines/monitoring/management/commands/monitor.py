"""``minzheng monitor run|alerts|rules``: run the monitoring rules, list open alerts, list and switch
rules.

Schedule on the embedded default (no Celery) with cron, e.g.::

    0 2 * * *  MINZHENG_VAR_DIR=/srv/minzheng minzheng monitor run --due

``--due`` runs only the rules whose cadence (daily, weekly, monthly, quarterly) has elapsed since
their last run; in production Celery beat does the same (``CELERY_BEAT_SCHEDULE``).
"""

import datetime as dt
import json

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError

from minzheng.engines.monitoring.models import Alert, AlertState, MonitoringRule
from minzheng.engines.monitoring.services import monitoring_run, rule_set, rules_due
from minzheng.foundation.audit.context import Actor, acting_as
from minzheng.foundation.validation import is_digits


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"日期 {value!r} 格式应为 YYYY-MM-DD") from None


def _messages(exc: ValidationError) -> str:
    if hasattr(exc, "error_dict"):
        return "；".join(m for v in exc.message_dict.values() for m in v)
    return "；".join(exc.messages)


class Command(BaseCommand):
    help = "动态监测：minzheng monitor run [--region CODE] [--rule CODE] [--due] | alerts | rules"

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        run = sub.add_parser("run", help="运行监测规则，输出 JSON：新增预警数、未办结预警数、各规则新增数")
        run.add_argument("--region", default="", help="区划代码前缀（如 330381）；省略为全部")
        run.add_argument("--rule", action="append", default=[], help="只运行该规则（可重复）")
        run.add_argument("--due", action="store_true", help="只运行运行周期已到的规则（供 cron / Celery beat 调用）")
        run.add_argument("--date", default="", help="监测日期，默认今天")
        al = sub.add_parser("alerts", help="未办结的预警，每行一个 JSON")
        al.add_argument("--region", default="")
        al.add_argument("--rule", default="")
        rl = sub.add_parser("rules", help="列出监测规则；--enable / --disable 启停")
        rl.add_argument("--enable", action="append", default=[], metavar="CODE")
        rl.add_argument("--disable", action="append", default=[], metavar="CODE")
        rl.add_argument("--json", action="store_true")

    def handle(self, *args, action, **o):
        with acting_as(Actor(None, "cli", "", "cli")):
            return getattr(self, f"_{action}")(**o)

    def _run(self, *, region, rule, due, date, **_):
        rules = rule or None
        if due:
            rules = [c for c in rules_due() if not rule or c in rule]
            if not rules:
                self.stdout.write(json.dumps({"alerts_new": 0, "alerts_open": None, "by_rule": {}}, ensure_ascii=False))
                return
        try:
            result = monitoring_run(region_prefix=region, rules=rules, on=_date(date) if date else None)
        except ValidationError as exc:
            raise CommandError(_messages(exc)) from None
        self.stdout.write(json.dumps(result, ensure_ascii=False))

    def _alerts(self, *, region, rule, **_):
        qs = Alert.objects.exclude(state=AlertState.CLOSED).select_related("household").order_by("number")
        if region:
            if not is_digits(region):
                raise CommandError("区划代码须为数字")
            qs = qs.under(region)
        if rule:
            qs = qs.filter(rule_id=rule)
        for a in qs.iterator(chunk_size=2000):
            row = {
                "number": a.number, "rule": a.rule_id, "state": a.state, "severity": a.severity,
                "household_number": a.household.number if a.household_id else None, "subject_name": a.subject_name,
                "id_number": a.subject_masked, "region_code": a.region_code, "office_code": a.office_code,
                "due": a.due.isoformat() if a.due else None, "evidence": a.evidence,
            }  # fmt: skip
            self.stdout.write(json.dumps(row, ensure_ascii=False))

    def _rules(self, *, enable, disable, json: bool = False, **_):
        import json as json_

        for code, on in [(c, True) for c in enable] + [(c, False) for c in disable]:
            rule = MonitoringRule.objects.filter(code=code).first()
            if rule is None:
                raise CommandError(f"不认识的监测规则：{code}")
            try:
                rule_set(user=None, rule=rule, enabled=on)
            except (PermissionDenied, ValidationError) as exc:
                raise CommandError(str(exc)) from None
        rows = [
            {"code": r.code, "name": r.name, "enabled": r.enabled, "severity": r.severity, "handling": r.handling,
             "cadence": r.cadence, "due_days": r.due_days, "discovery": r.discovery, "sources": r.sources,
             "last_run_at": r.last_run_at.isoformat() if r.last_run_at else None}
            for r in MonitoringRule.objects.order_by("sort", "code")
        ]  # fmt: skip
        if json:
            self.stdout.write(json_.dumps(rows, ensure_ascii=False, indent=2))
            return
        for r in rows:
            flag = "启用" if r["enabled"] else "停用"
            self.stdout.write(f"{r['code']:<22} {flag}  {r['severity']:<6} {r['cadence']:<9} {r['name']}")

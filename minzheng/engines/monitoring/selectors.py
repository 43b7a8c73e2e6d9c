"""Reads of the monitoring engine, always scoped: alerts and hardship reports of the user's
regions (another region's row is a 404), evidence in Chinese, rules with the thresholds in force."""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, Q
from django.http import Http404
from django.utils import timezone

from minzheng.engines.verification.models import DataSource
from minzheng.foundation.money import is_money_label, yuan
from minzheng.foundation.parameters.standards import AMOUNT, TYPES, display, standards_for

from .detectors import detector_get
from .models import Alert, AlertState, HardshipReport, MonitoringRule
from .report_codes import code_matches

OVERDUE, NEAR = "overdue", "near"
PENDING = "pending"  # 未办结: 待处置 + 处置中
NEAR_DAYS = 3


def alerts_for(user, permission: str = "monitoring.view"):
    return Alert.objects.for_user(user, permission)


def alert_search(
    *,
    user,
    rule: str = "",
    state: str = "",
    severity: str = "",
    overdue: bool = False,
    region: str = "",
    discovery: bool | None = None,
    household=None,
):
    """Alerts the user may see, newest first; ``state`` ``pending`` = not closed (待处置 + 处置中)."""
    qs = alerts_for(user).select_related("rule", "household")
    if rule:
        qs = qs.filter(rule_id=rule)
    if state == PENDING:
        qs = qs.exclude(state=AlertState.CLOSED)
    elif state:
        qs = qs.filter(state=state)
    if severity:
        qs = qs.filter(severity=severity)
    if overdue:
        qs = qs.exclude(state=AlertState.CLOSED).filter(due__lt=timezone.localdate())
    if region:
        qs = qs.under(region)
    if discovery is not None:
        qs = qs.filter(rule__discovery=discovery)
    if household is not None:
        qs = qs.filter(household=household)
    return qs.order_by("-raised_at", "-pk")


def alert_get(*, user, number: str) -> Alert:
    a = alerts_for(user).select_related("rule", "household", "person").filter(number=number).first()
    if a is None:
        raise Http404("找不到该预警")
    return a


def alert_flag(alert: Alert, today: dt.date | None = None) -> str:
    if alert.state == AlertState.CLOSED or alert.due is None:
        return ""
    today = today or timezone.localdate()
    if alert.due < today:
        return OVERDUE
    if (alert.due - today).days <= NEAR_DAYS:
        return NEAR
    return ""


def discovery_by_township(*, user) -> list[dict]:
    """Open alerts of discovery rules counted per township (主动发现 for visits)."""
    rows = (
        alert_search(user=user, state=PENDING, discovery=True)
        .order_by()
        .values("office_code")
        .annotate(n=Count("pk"), overdue=Count("pk", filter=Q(due__lt=timezone.localdate())))
        .order_by("office_code")
    )
    return list(rows)


def _source_columns() -> dict[str, dict[str, dict]]:
    return {code: {c["name"]: c for c in cols} for code, cols in DataSource.objects.values_list("code", "columns")}


def _value(key: str, value, columns: dict, values: dict, labels: dict) -> str:
    col = columns.get(key)
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, list):
        parts = []
        for v in value:
            if isinstance(v, dict):
                inner = [
                    f"{labels.get(k, k)} {_value(k, x, columns, values, labels)}"
                    for k, x in v.items()
                    if x not in (None, "") and k != "name"
                ]
                parts.append(f"{v.get('name', '')}（{'，'.join(inner)}）" if inner else str(v.get("name", "")))
            else:
                parts.append(_value(key, v, columns, values, labels))
        return "；".join(parts) if any(isinstance(v, dict) for v in value) else "、".join(parts)
    if col is not None and col.get("choices"):
        return dict((c[0], c[1]) for c in col["choices"]).get(value, str(value))
    if key in values:
        return values[key].get(value, str(value))
    if (col is not None and col.get("type") == "decimal") or is_money_label(labels.get(key, "")):
        return yuan(value)
    return str(value)


def evidence_items(alert: Alert, *, _cache: dict | None = None) -> list[tuple[str, str]]:
    """The evidence as (中文 label, value) pairs: the source's own column labels and choices, the
    detector's labels for what it computed."""
    det = detector_get(alert.rule.detector)
    labels = det.labels if det else {}
    values = det.values if det else {}
    all_columns = _cache if _cache is not None else _source_columns()
    source = alert.evidence.get("source", "")
    columns = all_columns.get(source, {})
    items = []
    # the source named by the evidence, else the rule's sources: by department and Chinese name
    codes = [source] if source else list(alert.rule.sources or ())
    if codes:
        names = {
            c: f"{d}·{n}"
            for c, d, n in DataSource.objects.filter(code__in=codes).values_list("code", "department", "name")
        }
        items.append(("数据来源", "、".join(names.get(c, "未登记的数据来源") for c in codes)))
    for key, value in alert.evidence.items():
        if key == "source" or value is None or value == "" or value == []:
            continue
        label = columns[key]["label"] if key in columns else labels.get(key, key)
        items.append((label, _value(key, value, columns, values, labels)))
    return items


def reports_for(user, permission: str = "monitoring.view"):
    return HardshipReport.objects.for_user(user, permission).select_related("alert")


def report_by_code(*, number: str, code: str) -> HardshipReport | None:
    """The report ``number`` when ``code`` is its 查询码; None otherwise — a missing number, a
    wrong code and a report without a code alike, after the same work (one query, one HMAC, a
    constant-time comparison). For the reporter on the portal: unscoped, the code is the right."""
    found = list(HardshipReport.objects.filter(number=number).values_list("pk", "access_code_hash")[:1])
    pk, stored = found[0] if found else (None, "")
    if not code_matches(stored, code):
        return None
    return HardshipReport.objects.select_related("alert").get(pk=pk)


def report_get(*, user, number: str) -> HardshipReport:
    r = reports_for(user).select_related("photo").filter(number=number).first()
    if r is None:
        raise Http404("找不到该困难报告")
    return r


def rules_with_thresholds(
    *, user=None, region_code: str = "", hukou_type: str = "urban", on: dt.date | None = None
) -> list[dict]:
    """Every rule with the standards its detector reads, as in force for ``region_code`` (a
    township or any region; '' = nationwide defaults) on ``on``, and its open alerts (those
    ``user`` may see; None: all)."""
    on = on or timezone.localdate()
    st = standards_for(region_code=(region_code or "").ljust(12, "0") if region_code else "0" * 12, hukou_type=hukou_type,
                       as_of=on)  # fmt: skip
    alerts = Alert.objects.all() if user is None else alerts_for(user)
    open_counts = dict(
        alerts.exclude(state=AlertState.CLOSED).order_by().values_list("rule_id").annotate(n=Count("pk"))
    )
    sources = dict(DataSource.objects.values_list("code", "name"))
    out = []
    for rule in MonitoringRule.objects.order_by("sort", "code"):
        det = detector_get(rule.detector)
        thresholds = []
        for key, mode in det.thresholds if det else ():
            t = TYPES.get(key)
            row = st.row(key, mode)
            label = (t.label if t else key) + (f"（{mode}类）" if mode else "")
            raw = row.value if row else None
            value = yuan(raw) if t is not None and t.kind == AMOUNT and raw is not None else display(raw)
            thresholds.append({"key": key, "mode": mode, "label": label, "value": value or "未配置",
                               "unit": t.unit if t else "", "region": (row.region_code or "全国") if row else ""})  # fmt: skip
        out.append({"rule": rule, "thresholds": thresholds, "runnable": bool(det and det.runnable),
                    "sources": [sources.get(c, c) for c in rule.sources] or ["保障台账"],
                    "open": open_counts.get(rule.code, 0)})  # fmt: skip
    return out

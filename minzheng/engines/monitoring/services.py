"""Writes of the monitoring engine: a monitoring run, handling an alert (the four ways of the 2023
意见 §三(四)), hardship reports (一键报贫) and their replies, switching rules on and off.

**A run** (:func:`monitoring_run`) is one DuckDB session: the cohort (every member × enrollment on
a roll: :mod:`minzheng.foundation.olap.cohort` over :func:`~minzheng.engines.benefits.cohort.roll_units`) and
the partner views ``src_<code>`` (:mod:`minzheng.foundation.olap.partners`) are set up
once; the registry persons behind the candidates of discovery rules are looked up by blind index in
chunks (table ``known``); the standards the rules read are resolved once per township and hukou type
(table ``thresholds``); the keys of the alerts already raised come in as table ``existing``. Then
every enabled rule runs as one SQL statement whose result is only what is new — a re-run on
unchanged data inserts nothing, and a closed alert is not raised again while its evidence stands.
The new alerts are inserted in bulk (``ignore_conflicts`` against the unique rule × subject ×
evidence, so two runs at once cannot duplicate), numbered from one reservation, each township told
once per run by an in-app message.

Scheduling: ``minzheng monitor run --due`` runs the rules whose cadence has elapsed since their last
run; in production Celery beat calls it (``CELERY_BEAT_SCHEDULE`` in settings), on the embedded
default a cron line such as ``0 2 * * * minzheng monitor run --due``.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from pathlib import Path

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from minzheng.engines.benefits.cohort import roll_units
from minzheng.foundation.accounts.scoping import has_permission, job_region, permission_require
from minzheng.foundation.accounts.selectors import users_with_permission_per_region
from minzheng.foundation.audit.services import audit_record
from minzheng.foundation.calendar.services import add_working_days
from minzheng.foundation.files.models import FileKind
from minzheng.foundation.files.services import file_store
from minzheng.foundation.notify.services import notify_many, notify_send
from minzheng.foundation.numbering.services import sequence_take
from minzheng.foundation.olap import duck_connect, insert_rows, range_sql, tables_into
from minzheng.foundation.olap.cohort import cohort_load
from minzheng.foundation.olap.partners import partner_current, partner_views
from minzheng.foundation.parameters.models import Standard
from minzheng.foundation.parameters.standards import ancestor_codes, value_of
from minzheng.foundation.plugins import Registry
from minzheng.foundation.regions.models import Level, Region
from minzheng.foundation.regions.selectors import region_names
from minzheng.foundation.registry.models import Membership, Person
from minzheng.foundation.registry.normalise import mask_phone
from minzheng.foundation.validation import Refused

from .detectors import OUTPUT, Detector, detector_get, sql_list
from .models import (
    Alert,
    AlertHandling,
    AlertState,
    Cadence,
    Handling,
    HardshipReport,
    MonitoringRule,
    ReportChannel,
    Severity,
)
from .report_codes import code_display, code_hash, code_new

HARDSHIP_RULE = "hardship_report"
HUKOU_TYPES = ("urban", "rural")
CHUNK = 1000
CADENCE_DAYS = {Cadence.DAILY: 1, Cadence.WEEKLY: 7, Cadence.MONTHLY: 30, Cadence.QUARTERLY: 91}
CADENCE_SLACK = dt.timedelta(hours=2)  # a daily cron at 02:00 that started at 02:01 yesterday is due
MOBILE = re.compile(r"^1[3-9]\d{9}$")
LANDLINE = re.compile(r"^0\d{2,3}-?\d{7,8}$")
PHOTO_KINDS = frozenset({FileKind.JPEG, FileKind.PNG})

# ---------------------------------------------------------------- hooks

_HOOKS: dict[str, Callable] = Registry("监测挂钩")


def recheck_opener(fn: Callable) -> Callable:
    """Register the function that opens a 复核 case for an alert's household (``fn(*, user, alert)
    -> case number``). The business line owning the case type registers it; the engine does not
    know case types."""
    _HOOKS["recheck"] = fn
    return fn


# ---------------------------------------------------------------- helpers


def office_of(region_code: str) -> str:
    """The township (乡镇/街道) handling a region: its first 9 digits padded to 12."""
    return (region_code or "")[:9].ljust(12, "0")


def _actor(user):
    return user if getattr(user, "pk", None) else None


def _numbers(prefix: str, count: int, *, width: int = 7) -> list[str]:
    """``count`` numbers such as YJ20260000123, reserved in one step."""
    if count <= 0:
        return []
    year = timezone.localdate().year
    first = sequence_take(key=f"monitoring.{prefix}:{year}", count=count)
    return [f"{prefix}{year}{n:0{width}d}" for n in range(first, first + count)]


def _township_staff(offices) -> dict[str, list]:
    """Users holding ``monitoring.handle`` through a grant on each township itself (prefix of 9
    digits; the county's staff above it are not the township's office)."""
    prefixes = {o[:9]: o for o in offices}
    held = users_with_permission_per_region("monitoring.handle", prefixes, above=False)
    return {prefixes[prefix]: users for prefix, users in held.items()}


def townships_tell(counts: dict[str, int], *, subject: str, body: Callable[[str, int], str]) -> int:
    """One in-app message per township (to each of its staff holding ``monitoring.handle``);
    returns the number of messages."""
    staff = _township_staff(counts)
    sent = 0
    for office, n in sorted(counts.items()):
        users = staff.get(office) or []
        if users:
            sent += len(
                notify_many(
                    channel="in_app",
                    subject=subject,
                    body=body(office, n),
                    recipients=[{"user": u} for u in users],
                    related_type="monitoring.alert",
                    region_code=office,
                )
            )
    return sent


# ---------------------------------------------------------------- rules


def rules_due(*, now: dt.datetime | None = None) -> list[str]:
    """Codes of the enabled rules whose cadence has elapsed since their last run."""
    now = now or timezone.now()
    out = []
    for rule in MonitoringRule.objects.filter(enabled=True).order_by("sort", "code"):
        det = detector_get(rule.detector)
        if det is None or not det.runnable:
            continue
        period = dt.timedelta(days=CADENCE_DAYS.get(rule.cadence, 1))
        if rule.last_run_at is None or now - rule.last_run_at >= period - CADENCE_SLACK:
            out.append(rule.code)
    return out


def rule_set(*, user, rule: MonitoringRule, enabled: bool | None = None, severity: str | None = None) -> MonitoringRule:
    """Switch a rule on or off, or change its severity (``monitoring.configure``); audited."""
    if user is not None and not has_permission(user, "monitoring.configure"):
        raise PermissionDenied("无权配置监测规则")
    changes = {}
    if enabled is not None and bool(enabled) != rule.enabled:
        changes["enabled"] = [rule.enabled, bool(enabled)]
        rule.enabled = bool(enabled)
    if severity is not None and severity != rule.severity:
        if severity not in Severity.values:
            raise ValidationError({"severity": "预警等级须为 高、中、低"})
        changes["severity"] = [rule.severity, severity]
        rule.severity = severity
    if changes:
        with transaction.atomic():
            rule.save(update_fields=[k for k in changes])
            parts = []
            if "enabled" in changes:
                parts.append("启用" if rule.enabled else "停用")
            if "severity" in changes:
                parts.append(f"预警等级改为{Severity(rule.severity).label}")
            audit_record(
                action="update", object_type="monitoring.rule", object_id=rule.code,
                summary=f"监测规则 {rule.code} {rule.name}：{'，'.join(parts)}", changes=changes,
            )  # fmt: skip
    return rule


# ---------------------------------------------------------------- the run


def _run_prefix(user, region_prefix: str) -> str:
    return job_region(user=user, permission="monitoring.run", region=region_prefix, doing="运行监测")


def _rules_to_run(codes) -> list[tuple[MonitoringRule, Detector]]:
    qs = MonitoringRule.objects.filter(enabled=True).order_by("sort", "code")
    if codes:
        codes = list(codes)
        known = set(MonitoringRule.objects.filter(code__in=codes).values_list("code", flat=True))
        unknown = [c for c in codes if c not in known]
        if unknown:
            raise ValidationError({"rule": f"不认识的监测规则：{'、'.join(unknown)}"})
        qs = qs.filter(code__in=codes)
    out = []
    for rule in qs:
        det = detector_get(rule.detector)
        if det is not None and det.runnable:
            out.append((rule, det))
    return out


def _macros(con, on: dt.date) -> None:
    con.execute(f"CREATE OR REPLACE MACRO run_on() AS DATE '{on.isoformat()}'")
    con.execute("CREATE OR REPLACE MACRO township(code) AS rpad(left(code, 9), 12, '0')")
    con.execute("CREATE OR REPLACE MACRO add_months(d, n) AS CAST(d + to_months(CAST(n AS INTEGER)) AS DATE)")
    con.execute(
        "CREATE OR REPLACE MACRO age_at(b, d) AS date_diff('year', b, d) - "
        "CASE WHEN strftime(b, '%m-%d') > strftime(d, '%m-%d') THEN 1 ELSE 0 END"
    )


def _known(con, ids: list[str]) -> int:
    """The registry persons behind discovery candidates, looked up by blind index in chunks."""
    con.execute(
        "CREATE OR REPLACE TABLE known (id_index VARCHAR, person_id BIGINT, household_id BIGINT, name VARCHAR, "
        "id_masked VARCHAR, region_code VARCHAR, hukou_type VARCHAR)"
    )
    rows = []
    for i in range(0, len(ids), CHUNK):
        persons = list(
            Person.objects.filter(id_number_index__in=ids[i : i + CHUNK]).values_list(
                "id", "id_number_index", "name", "id_number_masked", "region_code", "hukou_type"
            )
        )
        households = dict(
            Membership.objects.filter(person_id__in=[p[0] for p in persons], valid_to__isnull=True).values_list(
                "person_id", "household_id"
            )
        )
        rows += [
            (idx, pk, households.get(pk), name, masked, region, hukou)
            for pk, idx, name, masked, region, hukou in persons
        ]
    if rows:
        insert_rows(con, "known", rows)
    return len(rows)


def _standard_rows(keys: set[tuple[str, str]], on: dt.date) -> dict[tuple[str, str], list[Standard]]:
    """Every standard row of ``keys`` (key, mode) in force on ``on``, anywhere."""
    by_key: dict[tuple[str, str], list[Standard]] = defaultdict(list)
    if not keys:
        return by_key
    rows = Standard.objects.filter(
        Q(effective_to__isnull=True) | Q(effective_to__gt=on), key__in={k for k, _ in keys}, effective_from__lte=on
    )
    for row in rows:
        if (row.key, row.mode) in keys and row.value is not None:
            by_key[(row.key, row.mode)].append(row)
    return by_key


def _threshold_floor(con, by_key: dict) -> None:
    """Table ``threshold_floor``: the lowest value of each (key, mode) anywhere — what discovery
    candidates are filtered by before their townships are known."""
    con.execute("CREATE OR REPLACE TABLE threshold_floor (key VARCHAR, mode VARCHAR, value DECIMAL(18,4))")
    floor = [(k, m, min(r.value for r in rs)) for (k, m), rs in by_key.items() if rs]
    if floor:
        insert_rows(con, "threshold_floor", floor)


def _thresholds(con, by_key: dict) -> int:
    """Table ``thresholds``: each (key, mode) for every township of the cohort and of the known
    persons, per hukou type, the most specific row winning (as ``standards_for`` resolves)."""
    con.execute(
        "CREATE OR REPLACE TABLE thresholds (township VARCHAR, hukou_type VARCHAR, key VARCHAR, mode VARCHAR, "
        "value DECIMAL(18,4))"
    )
    townships = [
        r[0]
        for r in con.execute(
            "SELECT DISTINCT township(region_code) FROM (SELECT region_code FROM cohort UNION "
            "SELECT region_code FROM known) WHERE region_code IS NOT NULL"
        ).fetchall()
    ]

    def specificity(row):
        return (len(row.region_code.rstrip("0")) if row.region_code else -1, 1 if row.hukou_type else 0)

    out = []
    for township in townships:
        ancestors = set(ancestor_codes(township))
        for hukou in HUKOU_TYPES:
            for (key, mode), candidates in by_key.items():
                fits = [r for r in candidates if r.region_code in ancestors and r.hukou_type in ("", hukou)]
                if fits:
                    out.append((township, hukou, key, mode, value_of(max(fits, key=specificity))))
    if out:
        insert_rows(con, "thresholds", out)
    return len(townships)


def _existing(con, codes: list[str], workdir: Path) -> None:
    table = Alert._meta.db_table
    columns = {"rule_id": "VARCHAR", "subject_key": "VARCHAR", "evidence_key": "VARCHAR"}
    sql = f"SELECT rule_id, subject_key, evidence_key FROM {table} WHERE rule_id IN ({sql_list(codes)})"  # noqa: S608
    tables_into(con, {"existing": (sql, columns)}, workdir)


def _detect(con, rule: MonitoringRule, det: Detector, region_prefix: str) -> list[tuple]:
    """The new findings of one rule: the detector's rows in the region, one per subject and
    evidence, without those already raised."""
    names = ", ".join(OUTPUT)
    sql = f"""
WITH d AS (SELECT * FROM ({det.sql_for(rule.params)}) AS d0({names})),
u AS (
    SELECT * FROM d WHERE region_code IS NOT NULL{range_sql("region_code", region_prefix)}
    QUALIFY row_number() OVER (PARTITION BY subject_key, evidence_key ORDER BY person_id NULLS LAST) = 1
)
SELECT {names} FROM u
WHERE NOT EXISTS (
    SELECT 1 FROM existing x WHERE x.rule_id = '{rule.code}' AND x.subject_key = u.subject_key
      AND x.evidence_key = u.evidence_key
)
ORDER BY region_code, subject_key, evidence_key
"""  # noqa: S608  (registered SQL, codes checked)
    return con.execute(sql).fetchall()


def _evidence(text: str) -> dict:
    # money stays exact: decimals are kept as their text
    value = json.loads(text or "{}", parse_float=str)
    return value if isinstance(value, dict) else {"value": value}


def monitoring_run(
    *,
    user=None,
    region_prefix: str = "",
    rules=None,
    on: dt.date | None = None,
    progress: Callable[[int, str], None] | None = None,
    scratch: Path | None = None,
) -> dict:
    """Run the enabled rules (``rules``: only these codes) over the rolls under ``region_prefix``
    as of ``on`` (default today); returns ``{"alerts_new", "alerts_open", "by_rule": {code: n_new}}``.
    ``user`` needs ``monitoring.run`` over the region (None: the system, e.g. the schedule).
    ``scratch``: where the working files go (a job's own directory, removed even after a crash)."""
    started = time.perf_counter()
    on = on or timezone.localdate()
    region_prefix = _run_prefix(user, region_prefix)
    selected = _rules_to_run(rules)
    step = progress or (lambda done, message: None)
    batches = partner_current()
    runnable = [(r, d) for r, d in selected if all(s in batches for s in d.requires)]
    by_rule = {r.code: 0 for r, _ in selected}
    found: list[tuple[MonitoringRule, list[tuple]]] = []
    tmp_root = Path(scratch or Path(settings.VAR_DIR) / "tmp")
    tmp_root.mkdir(parents=True, exist_ok=True)
    workdir = Path(tempfile.mkdtemp(prefix="monitor-", dir=tmp_root))
    con = duck_connect(workdir)
    try:
        _macros(con, on)
        step(1, "载入保障对象")
        cohort_load(con, workdir=workdir, units=roll_units(region_prefix=region_prefix))
        partner_views(con, batches=batches)
        by_key = _standard_rows({k for _, d in runnable for k in d.thresholds}, on)
        _threshold_floor(con, by_key)
        candidates: set[str] = set()
        for rule, det in runnable:
            sql = det.candidates_for(rule.params)
            if sql:
                candidates.update(r[0] for r in con.execute(sql).fetchall() if r[0])
        step(2, f"主动发现候选 {len(candidates)} 人")
        _known(con, sorted(candidates))
        _thresholds(con, by_key)
        _existing(con, [r.code for r, _ in selected] or ["none"], workdir)
        for i, (rule, det) in enumerate(runnable):
            rows = _detect(con, rule, det, region_prefix)
            found.append((rule, rows))
            step(3 + i, f"{rule.code} {rule.name}：新增 {len(rows)} 条")
    finally:
        con.close()
        shutil.rmtree(workdir, ignore_errors=True)
    total = sum(len(rows) for _, rows in found)
    today = timezone.localdate()
    offices: Counter = Counter()
    with transaction.atomic():
        numbers = iter(_numbers("YJ", total))
        alerts = []
        for rule, rows in found:
            due = add_working_days(today, rule.due_days) if rule.due_days else None
            for subject_key, household_id, person_id, _idx, name, masked, region, ev_json, ev_key in rows:
                office = office_of(region)
                alerts.append(
                    Alert(
                        number=next(numbers),
                        rule=rule,
                        household_id=household_id,
                        person_id=person_id,
                        subject_key=subject_key,
                        subject_name=(name or "")[:50],
                        subject_masked=(masked or "")[:18],
                        region_code=region,
                        office_code=office,
                        evidence=_evidence(ev_json),
                        evidence_key=ev_key,
                        severity=rule.severity,
                        state=AlertState.OPEN,
                        due=due,
                    )
                )
                offices[office] += 1
            by_rule[rule.code] = len(rows)
        Alert.objects.bulk_create(alerts, batch_size=2000, ignore_conflicts=True)
        MonitoringRule.objects.filter(code__in=[r.code for r, _ in selected]).update(last_run_at=timezone.now())
        open_qs = Alert.objects.exclude(state=AlertState.CLOSED)
        if region_prefix:
            open_qs = open_qs.under(region_prefix)
        result = {"alerts_new": total, "alerts_open": open_qs.count(), "by_rule": by_rule}
        names = region_names(offices)
        townships_tell(
            dict(offices), subject="新的监测预警",
            body=lambda office, n: f"本次动态监测为{names.get(office, office)}新增预警 {n} 条，请在处置期限内核实处置。",
        )  # fmt: skip
        audit_record(
            action="run", object_type="monitoring.run", object_id=on.isoformat(), region_code=region_prefix,
            summary=f"动态监测运行：{len(runnable)} 条规则，新增预警 {total} 条",
            changes={**result, "seconds": round(time.perf_counter() - started, 2), "on": on.isoformat()},
        )  # fmt: skip
    return result


# ---------------------------------------------------------------- handling


def _locked(alert: Alert) -> Alert:
    a = Alert.objects.select_for_update(of=("self",)).select_related("rule", "household").get(pk=alert.pk)
    if a.state == AlertState.CLOSED:
        raise Refused(f"预警 {a.number} 已办结，不能再处置")
    return a


def alert_handle(
    *,
    user,
    alert: Alert,
    way: str,
    note: str,
    department: str = "",
    answer: str = "",
    closes: bool = False,
) -> AlertHandling:
    """Record one handling of an alert (2023 意见 §三(四)): 落实政策 (``deliver``), 转办推送
    (``refer``, the department required; its answer now or later by :func:`alert_referral_answer`),
    一事一议 (``coordinate``, the coordination recorded in ``note``), 复核认定 (``recheck``: opens a
    复核 case for the household through the business line's hook and records its number).
    ``closes`` ends the alert. Needs ``monitoring.handle`` over the alert's region; audited."""
    if way not in Handling.values:
        raise ValidationError({"way": "处置方式须为：落实政策、转办推送、一事一议、复核认定"})
    note = (note or "").strip()
    department = (department or "").strip()
    if not note:
        raise ValidationError({"note": "请填写处置情况"})
    if way == Handling.REFER and not department:
        raise ValidationError({"department": "转办推送须填写承办部门"})
    permission_require(user, "monitoring.handle", alert.region_code)
    with transaction.atomic():
        a = _locked(alert)
        case_number = ""
        if way == Handling.RECHECK:
            if a.household_id is None:
                raise Refused("该预警没有关联家庭，不能发起复核认定；请先核实对象并登记家庭")
            opener = _HOOKS.get("recheck")
            if opener is None:
                raise Refused("未配置复核认定的办件事项")
            case_number = opener(user=user, alert=a)
        h = AlertHandling.objects.create(
            alert=a, way=way, note=note, department=department,
            answer=(answer or "").strip(), case_number=case_number, closes=bool(closes), handled_by=_actor(user),
        )  # fmt: skip
        a.state = AlertState.CLOSED if closes else AlertState.HANDLING
        a.closed_at = timezone.now() if closes else None
        a.save(update_fields=["state", "closed_at"])
        text = f"预警 {a.number} {Handling(way).label}"
        if department:
            text += f"（{department}）"
        if case_number:
            text += f"，发起复核 {case_number}"
        if closes:
            text += "，办结"
        audit_record(
            action="handle", object_type="monitoring.alert", object_id=a.number, region_code=a.region_code,
            summary=text, changes={"way": way, "note": note, "department": department, "case_number": case_number,
                                   "closes": bool(closes)},
        )  # fmt: skip
    alert.refresh_from_db()
    return h


def alert_referral_answer(*, user, handling: AlertHandling, answer: str, closes: bool = False) -> AlertHandling:
    """The department's answer to a 转办推送; ``closes`` ends the alert. Audited."""
    if handling.way != Handling.REFER:
        raise Refused("只有转办推送需要登记部门反馈")
    answer = (answer or "").strip()
    if not answer:
        raise ValidationError({"answer": "请填写部门反馈"})
    permission_require(user, "monitoring.handle", handling.alert.region_code)
    with transaction.atomic():
        a = _locked(handling.alert)
        h = AlertHandling.objects.select_for_update().get(pk=handling.pk)
        h.answer = answer
        h.save(update_fields=["answer"])
        if closes:
            h.closes = True
            h.save(update_fields=["closes"])
            a.state, a.closed_at = AlertState.CLOSED, timezone.now()
            a.save(update_fields=["state", "closed_at"])
        audit_record(
            action="update", object_type="monitoring.alert", object_id=a.number, region_code=a.region_code,
            summary=f"预警 {a.number} 登记{h.department}反馈" + ("，办结" if closes else ""),
            changes={"handling": h.pk, "answer": answer, "closes": bool(closes)},
        )  # fmt: skip
    return h


# ---------------------------------------------------------------- hardship reports (一键报贫)


def _phone_clean(phone: str) -> str:
    phone = re.sub(r"[\s]", "", phone or "")
    if phone.startswith("+86"):
        phone = phone[3:]
    if phone and not (MOBILE.match(phone) or LANDLINE.match(phone)):
        raise ValidationError({"reporter_phone": "联系电话须为11位手机号或带区号的固定电话"})
    return phone


def hardship_report(
    *,
    channel: str,
    description: str,
    region_code: str,
    address: str = "",
    subject_name: str = "",
    for_self: bool = False,
    anonymous: bool = False,
    reporter_name: str = "",
    reporter_phone: str = "",
    photo=None,
    photo_name: str = "",
    user=None,
    household=None,
) -> HardshipReport:
    """一键报贫: record a report of a family or person in difficulty and raise an alert (rule
    ``hardship_report``) for the township, due per the rule. ``region_code``: the village/community
    or township where they live. An anonymous report keeps no name or phone; otherwise the reporter
    gets the reply by SMS when a phone is given. Every reporter gets a reference number and a
    查询码 (:mod:`.report_codes`), returned once as ``report.access_code`` (display form) and
    kept only hashed. ``user``: the staff member entering it (needs ``monitoring.handle`` there);
    None for a citizen or the hotline."""
    if channel not in ReportChannel.values:
        raise ValidationError({"channel": "未知的报告来源"})
    description = (description or "").strip()
    errors = {}
    if not description:
        errors["description"] = "请描述困难情况"
    region = Region.objects.filter(code=(region_code or "").strip()).first()
    if region is None or region.level not in (Level.VILLAGE, Level.TOWNSHIP):
        errors["region_code"] = "请选择困难对象所在的村（社区）或乡镇（街道）"
    try:
        phone = "" if anonymous else _phone_clean(reporter_phone)
    except ValidationError as exc:
        errors.update(exc.message_dict)
        phone = ""
    if len(description) > 2000:
        errors["description"] = "困难情况不能超过2000字"
    if errors:
        raise ValidationError(errors)
    permission_require(user, "monitoring.handle", region.code)
    rule = MonitoringRule.objects.filter(code=HARDSHIP_RULE).first()
    if rule is None:
        raise Refused("未配置一键报贫规则")
    today = timezone.localdate()
    with transaction.atomic():
        stored = None
        if photo is not None:
            stored = file_store(
                user=_actor(user), data=photo, name=photo_name or "photo.jpg", region_code=region.code,
                allowed_kinds=PHOTO_KINDS,
            )  # fmt: skip
        (number,) = _numbers("BP", 1, width=6)
        (alert_number,) = _numbers("YJ", 1)
        name = (reporter_name or "").strip()[:50] if not anonymous else ""
        subject = (subject_name or "").strip()[:50] or (name if for_self else "")
        office = office_of(region.code)
        alert = Alert.objects.create(
            number=alert_number, rule=rule, household=household, person=None, subject_key=f"r:{number}",
            subject_name=subject, region_code=region.code, office_code=office,
            evidence={"report_number": number, "description": description, "address": (address or "").strip()[:200],
                      "channel": channel, "for_self": bool(for_self), "reporter": "匿名" if anonymous else name},
            evidence_key=number, severity=rule.severity, state=AlertState.OPEN,
            due=add_working_days(today, rule.due_days) if rule.due_days else None,
        )  # fmt: skip
        code = code_new()
        report = HardshipReport.objects.create(
            number=number, channel=channel, anonymous=bool(anonymous), reporter_name=name, reporter_phone=phone,
            reporter_phone_masked=mask_phone(phone) if phone else "", for_self=bool(for_self), subject_name=subject,
            description=description, region_code=region.code, address=(address or "").strip()[:200], photo=stored,
            alert=alert, access_code_hash=code_hash(code),
        )  # fmt: skip
        report.access_code = code_display(code)
        audit_record(
            action="create", object_type="monitoring.hardshipreport", object_id=number, region_code=region.code,
            summary=f"困难报告 {number}（{ReportChannel(channel).label}）→ 预警 {alert_number}",
            changes={"channel": channel, "anonymous": bool(anonymous), "phone": report.reporter_phone_masked,
                     "photo": stored.pk if stored else None},
        )  # fmt: skip
        names = region_names([office])
        townships_tell(
            {office: 1}, subject="新的困难报告",
            body=lambda o, n: f"{names.get(o, o)}收到困难报告 {number}，请在 {alert.due:%Y-%m-%d} 前入户核实。"
            if alert.due else f"{names.get(o, o)}收到困难报告 {number}，请尽快入户核实。",
        )  # fmt: skip
    return report


def hardship_report_code_reset(*, user, report: HardshipReport) -> str:
    """Issue a new 查询码 for ``report`` (the old one stops working) and return it, in display
    form, for the staff member to pass on to the reporter who lost theirs — or who reported before
    codes existed (issue 14). Needs ``monitoring.handle`` there; audited (without the code)."""
    permission_require(user, "monitoring.handle", report.region_code)
    code = code_new()
    with transaction.atomic():
        r = HardshipReport.objects.select_for_update().get(pk=report.pk)
        r.access_code_hash = code_hash(code)
        r.save(update_fields=["access_code_hash"])
        audit_record(
            action="update", object_type="monitoring.hardshipreport", object_id=r.number, region_code=r.region_code,
            summary=f"重新生成困难报告 {r.number} 的查询码（原查询码作废）", changes={"access_code": "reset"},
        )  # fmt: skip
    return code_display(code)


def hardship_reply(*, user, report: HardshipReport, reply: str) -> HardshipReport:
    """Store the reply to a hardship report (the alert stays as it is) and send it by SMS to the
    reporter's mobile phone when one was given. Needs ``monitoring.handle`` there; audited."""
    reply = (reply or "").strip()
    if not reply:
        raise ValidationError({"reply": "请填写答复内容"})
    permission_require(user, "monitoring.handle", report.region_code)
    with transaction.atomic():
        r = HardshipReport.objects.select_for_update().get(pk=report.pk)
        r.reply, r.replied_at = reply, timezone.now()
        r.save(update_fields=["reply", "replied_at"])
        sms = bool(r.reporter_phone and MOBILE.match(r.reporter_phone))
        if sms:
            notify_send(
                channel="sms", phone=r.reporter_phone, subject="困难报告答复",
                body=f"您反映的困难情况（受理编号 {r.number}）答复如下：{reply}", related_type="monitoring.hardshipreport",
                related_id=r.number, region_code=r.region_code,
            )  # fmt: skip
        audit_record(
            action="update", object_type="monitoring.hardshipreport", object_id=r.number, region_code=r.region_code,
            summary=f"答复困难报告 {r.number}" + ("，短信告知报告人" if sms else ""), changes={"reply": reply, "sms": sms},
        )  # fmt: skip
    return r

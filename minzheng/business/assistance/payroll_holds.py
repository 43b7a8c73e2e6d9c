"""Nobody recorded dead is paid: the payroll hold check of social assistance (暂缓发放).

A line of a 低保 or 特困 cycle is held when its payee or a counted member

- has a record in the partner death data (公安死亡登记 ``death``, 殡葬火化记录 ``cremation``) or a
  date of death on the platform, dated before the end of the paid month, or
- is the subject of an open 在保成员死亡 alert (monitoring rule ``member_deceased``).

2022 兜底通知 (民发〔2022〕83号) §三(三): the death records shared by 公安 and 殡葬 are compared with
the roll, and payment of a deceased recipient stops; the change of the amount of a family whose
member died goes through the 增减员 (member change) case within three months, so the line is held
rather than paid at the old amount or silently recalculated. The reason names the person (masked
ID), the record and what has to happen next; a finance officer can release the hold with a reason
before approval (e.g. the record was wrong).

Set-based: one DuckDB query over the partner views for every person with a death record (never one
per line), one registry query for the open alerts, then :func:`lines_of_persons` joins them to the
cycle's lines in one statement from the persons' side.
"""

from __future__ import annotations

import datetime as dt

from minzheng.engines.benefits.holds import Hold, hold_check, lines_of_persons
from minzheng.engines.monitoring.models import Alert, AlertState

DEATH_SOURCES = ("death", "cremation")
DECEASED_RULE = "member_deceased"
RECORD_LABELS = {"death": "公安死亡登记", "cremation": "殡葬火化记录", "registry": "平台登记的死亡日期"}

# the earliest date of death per person over the partner views (src_<code>, see foundation.olap.partners)
PARTNER_DEATHS_SQL = """
SELECT id_index, min(death_date) AS death_date, list_sort(list(DISTINCT record)) AS records
FROM (
    SELECT id_index, death_date, 'death' AS record FROM src_death
    UNION ALL SELECT id_index, death_date, 'cremation' FROM src_cremation
)
WHERE id_index IS NOT NULL AND death_date < ?
GROUP BY id_index
"""


def _next_month(month: dt.date) -> dt.date:
    return (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1)


def partner_deaths(before: dt.date) -> dict[str, tuple[dt.date, list[str]]]:
    """Blind index → (earliest date of death, records) of everyone the current death and
    cremation batches record as dead before ``before``."""
    import duckdb

    from minzheng.foundation.olap.partners import partner_views

    con = duckdb.connect()
    try:
        partner_views(con, codes=DEATH_SOURCES)
        rows = con.execute(PARTNER_DEATHS_SQL, [before]).fetchall()
    finally:
        con.close()
    return {r[0]: (r[1], list(r[2])) for r in rows}


def death_evidence(person, on: dt.date) -> tuple[dt.date | None, list[str]]:
    """(date of death or None, the records) for one person as of ``on``: the partner death and
    cremation records, the platform's date of death, an open 在保成员死亡 alert — the evidence the
    payroll hold reads, for a one-off payment decided on a case (临时救助)."""
    import duckdb

    from minzheng.foundation.olap.partners import partner_views

    con = duckdb.connect()
    try:
        partner_views(con, codes=DEATH_SOURCES)
        row = con.execute(
            f"SELECT death_date, records FROM ({PARTNER_DEATHS_SQL}) WHERE id_index = ?",  # noqa: S608 (fixed SQL)
            [on + dt.timedelta(days=1), person.id_number_index],
        ).fetchone()
    finally:
        con.close()
    alert = (
        Alert.objects.filter(rule__code=DECEASED_RULE, state__in=[AlertState.OPEN, AlertState.HANDLING], person=person)
        .values_list("number", flat=True)
        .first()
    )
    return _evidence(row, person.death_date, alert, on + dt.timedelta(days=1))


def _evidence(partner, death_date, alert, before: dt.date) -> tuple[dt.date | None, list[str]]:
    """(date of death or None, the records) from a partner row (date, records), the platform's
    date of death (counted if before ``before``) and the number of an open death alert."""
    died, evidence = None, []
    if partner is not None:
        died = partner[0]
        evidence += [label for r, label in RECORD_LABELS.items() if r in partner[1]]
    if death_date is not None and death_date < before:
        died = min(d for d in (died, death_date) if d is not None)
        evidence.append(RECORD_LABELS["registry"])
    if alert:
        evidence.append(f"在保成员死亡预警 {alert} 尚未办结")
    return died, evidence


@hold_check("assistance.deceased", "收款人或保障成员已死亡", programs=("dibao", "tekun"))
def deceased(cycle):
    end = _next_month(cycle.month)
    partner = partner_deaths(end)
    alerts: dict[int, str] = {}
    open_alerts = Alert.objects.filter(
        rule__code=DECEASED_RULE, state__in=[AlertState.OPEN, AlertState.HANDLING], person__isnull=False
    ).values_list("person_id", "number")
    for person_id, number in open_alerts.order_by("raised_at"):
        alerts.setdefault(person_id, number)
    registry_dead = ("SELECT id AS person_id FROM registry_person WHERE death_date < %s", [end])
    hits = lines_of_persons(cycle, id_indexes=list(partner), person_ids=list(alerts), extra=registry_dead)
    yield from _member_removals_running(cycle)
    for hit in hits:
        died, evidence = _evidence(partner.get(hit.id_index), hit.death_date, alerts.get(hit.person_id), end)
        if not evidence:
            continue
        who = f"{hit.name}（{hit.id_masked}）"
        fact = f"已于 {died:%Y-%m-%d} 死亡" if died else "疑似死亡"
        basis = "、".join(evidence)
        if hit.is_payee:
            reason = f"收款人{who}{fact}（{basis}）：暂缓发放，请核实后办理停保；户主死亡的办理停旧建新"
        else:
            reason = (
                f"保障成员{who}{fact}（{basis}）：保障金额须经增减员办件调整，暂缓发放，不按原金额发放，也不自动改算"
            )
        yield Hold(hit.enrollment_id, f"p:{hit.person_id}", reason)


def _member_removals_running(cycle):
    """A counted member's death is entered in the registry when the 减员 case opens (the membership
    ends there, :func:`.roll.roll_case_open`), before the county decides the new amount: the line
    stays held, on the same subject as the death's hold, until that case is decided or cancelled."""
    from minzheng.engines.benefits.models import Enrollment
    from minzheng.engines.cases.models import Case

    running = Case.objects.filter(
        closed_at__isnull=True, case_type__code="dibao_change", data__change__kind="member_remove",
        data__change__reason="death",
    ).values_list("number", "data__enrollment_number", "data__change__person_id", "data__change__person_name")  # fmt: skip
    by_number = {}
    for number, enrollment_number, person_id, name in running:
        by_number.setdefault(enrollment_number, []).append((number, person_id, name))
    if not by_number:
        return
    enrolled = Enrollment.objects.filter(number__in=list(by_number), program_id=cycle.program_id)
    for enrollment_id, enrollment_number in enrolled.values_list("id", "number"):
        for number, person_id, name in by_number[enrollment_number]:
            yield Hold(
                enrollment_id,
                f"p:{person_id}",
                f"保障成员{name}已死亡，减员办件 {number} 尚未决定：保障金额须经增减员办件调整，暂缓发放，不按原金额发放",
            )

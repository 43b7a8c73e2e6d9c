"""One household's 核对报告: the findings of its members over the current batches, the family
summary against the standards, and the PDF.

The computation runs in an in-memory DuckDB over the batch files (views ``src_<code>`` from
:func:`.store.duck_sources`), with the registered finding SQL narrowed to the members' blind
indexes, and the same aggregation and checks as the batch run (:mod:`.findings`): one household is
a cohort of one.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.conf import settings
from django.utils import timezone

from minzheng.foundation.documents.render import render_pdf
from minzheng.foundation.documents.spec import Document, Fields, Heading, Note, Paragraph, Table
from minzheng.foundation.money import yuan
from minzheng.foundation.olap import duck_connect, insert_rows
from minzheng.foundation.regions.selectors import region_names
from minzheng.foundation.registry.models import Membership, Relation
from minzheng.foundation.validation import Refused

from . import findings as fx
from .models import DataSource, SourceBatch
from .store import duck_sources

ROW_FIELDS = ("item", "label", "category", "income_kind", "property_kind", "annual_amount", "value", "count", "detail",
              "on_date")  # fmt: skip


def _text(v) -> str | None:
    if v is None:
        return None
    if isinstance(v, Decimal):
        return f"{v:.2f}"
    if isinstance(v, dt.date):
        return v.isoformat()
    return v


def _figure(v, unit: str) -> str | None:
    """A checked figure: money with two decimals, a count (套, 辆, 户) as a whole number."""
    if v is None:
        return None
    if "元" not in (unit or "") and v == v.to_integral_value():
        return str(int(v))
    return f"{v:.2f}"


def _money(v) -> str:
    return f"{Decimal(str(v or 0)):.2f}"


def members_of(household) -> list[Membership]:
    """The current members, head first."""
    ms = list(Membership.objects.filter(household=household, valid_to__isnull=True).select_related("person"))
    ms.sort(key=lambda m: (m.relation != "head", m.person_id))
    return ms


def _apply_corrections(con, corrections: list[dict], index_of: dict[int, str]) -> list[dict]:
    """Corrections decided on a 复议, applied to table ``found`` before anything is summed: a
    finding excluded, or its amount, value or count amended. Each must match a finding."""
    done = []
    for c in corrections or []:
        pid = int(c.get("person_id") or 0)
        if pid not in index_of:
            raise Refused("更正项指向的人员不在本次核对范围内")
        where = "id_index = ? AND source = ? AND item = ?"
        params = [index_of[pid], c.get("source", ""), c.get("item", "")]
        if c.get("detail"):
            where += " AND detail = ?"
            params.append(c["detail"])
        hit = con.execute(f"SELECT count(*) FROM found WHERE {where}", params).fetchone()[0]  # noqa: S608
        if not hit:
            raise Refused(
                f"更正项未找到对应的核对结果：{c.get('source', '')} {c.get('item', '')} {c.get('detail', '')}"
            )
        reason = str(c.get("reason", "")).strip()
        if not reason:
            raise Refused("每一项更正都须写明理由")
        if c.get("action", "exclude") == "exclude":
            con.execute(f"DELETE FROM found WHERE {where}", params)  # noqa: S608
        else:
            sets, values = [], []
            for name in ("annual_amount", "value", "count"):
                if c.get(name) not in (None, ""):
                    sets.append(f"{name} = ?")
                    values.append(int(c[name]) if name == "count" else Decimal(str(c[name])))
            if not sets:
                raise Refused("更正金额、价值或数量至少填写一项")
            con.execute(f"UPDATE found SET {', '.join(sets)} WHERE {where}", values + params)  # noqa: S608
        done.append({k: (str(v) if isinstance(v, Decimal) else v) for k, v in c.items()})
    return done


def _records(con, codes: list[str], ids: list[str]) -> dict[tuple[str, str], int]:
    """``{(source, id_index): rows}`` of the persons in each source's batch: whether a source has
    data on a person at all, apart from what the findings make of it."""
    ids = [i for i in ids if fx._INDEX.match(i)]
    if not codes or not ids:
        return {}
    listed = ", ".join(f"'{i}'" for i in ids)
    parts = [
        f"SELECT '{code}' AS source, id_index, count(*) AS n FROM src_{code} WHERE id_index IN ({listed}) GROUP BY 2"  # noqa: S608 — checked
        for code in codes
        if fx._CODE.match(code)
    ]
    rows = con.execute(" UNION ALL ".join(parts)).fetchall()
    return {(code, idx): int(n) for code, idx, n in rows}


def source_coverage(block: dict) -> str:
    """What a source says about a person: ``no_batch`` (no data loaded), ``no_record`` (the batch
    has no row of the person), ``records`` (rows of the person, whether or not they count as a
    finding). A report issued before ``records`` was kept: rows found → ``records``, else unknown
    (``no_record``: never taken as a zero)."""
    if not block.get("batch_id"):
        return "no_batch"
    if block.get("rows") or (block.get("records") or 0) > 0:
        return "records"
    return "no_record"


def report_compute(*, household, codes: list[str], as_of: dt.date, corrections=None) -> dict:
    """``{"batches", "findings", "summary"}`` of one household's report (see the module docstring).

    ``batches`` is ``{source: batch id}`` of every source read (None: no accepted batch yet)."""
    members = members_of(household)
    persons = [m.person for m in members]
    index_of = {p.pk: p.id_number_index for p in persons}
    alive = sum(1 for p in persons if p.death_date is None)
    judge = fx.judge_get()
    con = duck_connect()
    try:
        used = duck_sources(con, codes=codes)
        batch_ids = {code: (b.pk if b else None) for code, b in used.items()}
        con.execute("CREATE TABLE subjects (id_index VARCHAR, person_id BIGINT, counted BOOLEAN)")
        insert_rows(con, "subjects", [[p.id_number_index, p.pk, p.death_date is None] for p in persons])
        fx.findings_collect(con, codes, as_of=as_of, batch_ids=batch_ids, ids=[p.id_number_index for p in persons])
        records = _records(con, [c for c in codes if batch_ids.get(c)], [p.id_number_index for p in persons])
        applied = _apply_corrections(con, corrections or [], index_of)
        con.execute(
            "CREATE TABLE members AS SELECT CAST(? AS BIGINT) AS unit_id, id_index, counted FROM subjects",
            [household.pk],
        )
        fx.amounts_build(con)
        fx.units_create(con)
        insert_rows(con, "units", [[household.pk, household.pk, "", household.region_code, household.hukou_type,
                                    max(alive, 1), None]])  # fmt: skip
        missing = fx.standards_attach(con, as_of=as_of)
        fx.checks_run(con)
        cur = con.execute(
            "SELECT s.person_id, f.* EXCLUDE (id_index) FROM found f JOIN subjects s USING (id_index) "
            "ORDER BY s.person_id, f.source, f.category, f.item, f.on_date NULLS LAST, f.detail"
        )
        names = [d[0] for d in cur.description]
        found = [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
        amounts = con.execute("SELECT category, kind, amount, count FROM amounts ORDER BY category, kind").fetchall()
        cur = con.execute("SELECT * EXCLUDE (unit_id) FROM checks ORDER BY sort")
        cnames = [d[0] for d in cur.description]
        checks = [dict(zip(cnames, r, strict=True)) for r in cur.fetchall()]
        excluded = set(judge.excluded)
        if judge.excluded_column:  # the household's region's kinds, as the checks read them
            row = con.execute(f"SELECT s.{judge.excluded_column} FROM units JOIN std s USING (combo)").fetchone()  # noqa: S608 — a registered column name
            excluded = set(row[0] or ()) if row else excluded
    finally:
        con.close()

    sources = {s.code: s for s in DataSource.objects.filter(code__in=codes)}
    batches = {b.pk: b for b in SourceBatch.objects.filter(pk__in=[v for v in batch_ids.values() if v])}
    by_key: dict[tuple[int, str], list] = {}
    for row in found:
        by_key.setdefault((row["person_id"], row["source"]), []).append({k: _text(row[k]) for k in ROW_FIELDS})
    relations = dict(Relation.choices)
    blocks = []
    for m in members:
        p = m.person
        for code in codes:
            b = batches.get(batch_ids.get(code))
            blocks.append(
                {
                    "person_id": p.pk,
                    "name": p.name,
                    "id_masked": p.id_number_masked,
                    "relation": relations.get(m.relation, m.relation),
                    "source": code,
                    "source_name": f"{sources[code].department}·{sources[code].name}" if code in sources else code,
                    "batch_id": b.pk if b else None,
                    "batch_version": b.version if b else None,
                    "batch_as_of": b.as_of.isoformat() if b and b.as_of else None,
                    # rows of the person in the batch whatever they mean (None: no batch): no record
                    # in a source is "no data", never "nothing to declare"
                    "records": records.get((code, p.id_number_index), 0) if b else None,
                    "rows": by_key.get((p.pk, code), []),
                }
            )

    labels = judge.labels
    income, expenses, prop = [], [], []
    for category, kind, amount, count in amounts:
        if category == "income":
            income.append({"kind": kind, "label": labels.get(kind, kind), "annual": _money(amount),
                           "counted": kind not in excluded})  # fmt: skip
        elif category == "expense":
            expenses.append({"kind": kind, "label": labels.get(kind, kind), "annual": _money(amount)})
        else:
            prop.append(
                {"kind": kind, "label": labels.get(kind, kind), "value": _money(amount), "count": int(count or 0)}
            )
    check_rows = [
        {
            "code": c["code"],
            "label": c["label"],
            "actual": _figure(c["actual"], c["unit"]),
            "limit": _figure(c["limit_value"], c["unit"]),
            "unit": c["unit"],
            "over": bool(c["over"]),
            "standard": c["standard"],
            "note": c["note"] or "",
        }
        for c in checks
    ]
    status = [
        {"person_id": r["person_id"], "name": next(p.name for p in persons if p.pk == r["person_id"]),
         "source": r["source"], "label": r["label"], "detail": r["detail"]}
        for r in found
        if r["category"] == "status"
    ]  # fmt: skip
    income_check = next((c for c in check_rows if c["code"] == "income"), None)
    summary = {
        "as_of": as_of.isoformat(),
        "members": max(alive, 1),
        "region_code": household.region_code,
        "hukou_type": household.hukou_type,
        "income": income,
        "income_total": _money(sum((Decimal(i["annual"]) for i in income), Decimal(0))),
        "income_counted": _money(sum((Decimal(i["annual"]) for i in income if i["counted"]), Decimal(0))),
        "per_capita_monthly": income_check["actual"] if income_check else None,
        "expenses": expenses,
        "property": prop,
        "status": status,
        "checks": check_rows,
        "over_limit": any(c["over"] for c in check_rows),
        "reasons": [c["label"] for c in check_rows if c["over"]],
        "missing_standard": "；".join(m["reason"] for m in missing),
        "corrections": applied,
    }
    return {"batches": dict(batch_ids), "findings": blocks, "summary": summary}


# ---------------------------------------------------------------- the PDF

CATEGORY = fx.CATEGORY_LABELS


def _amount_cell(row: dict) -> str:
    if row["category"] in ("income", "expense"):
        return f"{yuan(row['annual_amount'])} 元/年" if row.get("annual_amount") else ""
    if row["category"] == "property":
        parts = []
        if row.get("count"):
            parts.append(f"{row['count']} 项")
        if row.get("value"):
            parts.append(f"{yuan(row['value'])} 元")
        return "，".join(parts)
    return ""


def report_document(report) -> Document:
    """The 核对报告 as a document: numbers, household, members (masked IDs only), per member and
    source what was found with the batch version and data date, the summary against the
    standards, issuer and date."""
    req = report.request
    household = req.household
    s = report.summary
    head = household.head.name if household.head_id else ""
    blocks = [
        Fields(
            [
                ("报告编号", report.number),
                ("版本", f"第 {report.version} 版"),
                ("核对编号", req.number),
                ("关联办件", req.case_number or "—"),
                ("家庭编号", household.number),
                ("户主", head),
                (
                    "所在区划",
                    f"{region_names([household.region_code]).get(household.region_code, '')} {household.region_code}",
                ),
                ("核对事由", req.purpose or "—"),
                ("申请日期", timezone.localtime(req.requested_at).date() if req.requested_at else None),
                ("核对日期", dt.date.fromisoformat(s["as_of"])),
            ]
        ),
        Heading("一、被核对人员"),
    ]
    seen, people = set(), []
    for b in report.findings:
        if b["person_id"] not in seen:
            seen.add(b["person_id"])
            people.append([b["name"], b["relation"], b["id_masked"]])
    blocks.append(Table(["姓名", "与户主关系", "身份证号"], people, widths=[2, 1.5, 3]))
    blocks.append(Heading("二、核对结果"))
    by_source: dict[str, list[dict]] = {}
    for b in report.findings:
        by_source.setdefault(b["source"], []).append(b)
    nothing = []
    n = 0
    for bs in by_source.values():
        first = bs[0]
        if first["batch_id"]:
            version = f"第 {first['batch_version']} 版，数据日期 {first['batch_as_of'] or '—'}"
        else:
            version = "暂无数据"
        rows = [
            [b["name"], r["label"], r["detail"] or "", _amount_cell(r), r["on_date"] or ""]
            for b in bs
            for r in b["rows"]
        ]
        if not rows:
            if not first["batch_id"]:
                said = "该数据源暂无数据，不能说明该户情况"
            elif any(source_coverage(b) == "records" for b in bs):
                said = "有该户人员记录，未发现收入、财产或支出"
            else:
                said = "无该户人员记录，不能说明该户情况"
            nothing.append(f"{first['source_name']}（{version}）：{said}")
            continue
        n += 1
        blocks.append(Paragraph(f"（{n}）{first['source_name']}（数据版本 {version}）", indent=False))
        blocks.append(Table(["姓名", "项目", "说明", "金额/数量", "日期"], rows, widths=[1.2, 1.6, 3.8, 2.1, 1.7]))
    if nothing:
        blocks.append(Paragraph(f"以下数据源未发现收入、财产或支出：{'；'.join(nothing)}。", indent=False))
    blocks.append(Heading("三、家庭收入与财产汇总"))
    income_rows = [[i["label"], i["annual"], "计入" if i["counted"] else "不计入"] for i in s["income"]]
    income_rows += [[e["label"] + "（刚性支出）", e["annual"], "按规定扣减"] for e in s["expenses"]]
    if income_rows:
        blocks.append(
            Table(
                ["收入/支出", "金额（元/年）", "计算"], income_rows, widths=[3, 2, 2], align=["left", "right", "left"]
            )
        )
    else:
        blocks.append(Paragraph("未发现收入记录。", indent=False))
    prop_rows = [[p["label"], p["count"], p["value"] if Decimal(p["value"]) else ""] for p in s["property"]]
    if prop_rows:
        blocks.append(
            Table(["财产", "数量", "金额（元）"], prop_rows, widths=[3, 1.5, 2.5], align=["left", "right", "right"])
        )
    blocks.append(Heading("四、与保障标准对照"))
    if s.get("missing_standard"):
        blocks.append(Paragraph(f"未能对照保障标准：{s['missing_standard']}"))
    else:
        blocks.append(
            Table(
                ["项目", "核对结果", "标准/限额", "结论", "依据"],
                [
                    [
                        c["label"],
                        f"{c['actual']} {c['unit']}",
                        f"{c['limit']} {c['unit']}",
                        "超出" if c["over"] else "未超出",
                        c["standard"] + (f"；{c['note']}" if c["note"] else ""),
                    ]
                    for c in s["checks"]
                ],
                widths=[1.6, 1.8, 1.8, 1.2, 4.4],
            )
        )
        verdict = "、".join(s["reasons"]) + "超出标准" if s["reasons"] else "收入与财产均未超出标准"
        blocks.append(
            Paragraph(f"家庭计入人口 {s['members']} 人，人均月收入 {yuan(s['per_capita_monthly'])} 元；{verdict}。")
        )
    if s.get("status"):
        blocks.append(Heading("五、其他情况"))
        blocks.append(Table(["姓名", "情况", "说明"], [[x["name"], x["label"], x["detail"]] for x in s["status"]],
                            widths=[1.5, 2, 6]))  # fmt: skip
    if s.get("corrections"):
        blocks.append(Heading("复议更正"))
        blocks.append(
            Table(
                ["数据源", "项目", "更正", "理由"],
                [[c.get("source", ""), c.get("item", ""), "排除" if c.get("action", "exclude") == "exclude" else "更正",
                  c.get("reason", "")] for c in s["corrections"]],
                widths=[2, 2, 1, 5],
            )
        )  # fmt: skip
    blocks.append(
        Note(
            "本报告依据各部门共享数据的上述版本出具，仅用于申请事项的审核确认。对核对结果有异议的，"
            "可自收到报告之日起向出具机构申请复议。"
        )
    )
    issuer_name = str(report.issued_by) if report.issued_by_id else ""
    blocks.append(Paragraph(f"出具人：{issuer_name}", indent=False))
    issued = timezone.localtime(report.issued_at).date() if report.issued_at else timezone.localdate()
    return Document(
        title="家庭经济状况核对报告",
        number=report.number,
        blocks=blocks,
        issuer=settings.MINZHENG_BUREAU_NAME,
        issued_on=issued,
        seal_text="（盖章）",
    )


def report_pdf(report) -> bytes:
    return render_pdf(report_document(report))

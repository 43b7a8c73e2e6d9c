"""Excel import of households: one row per person, grouped by 户序号.

Every row is validated (ID checksum and date, duplicates in the file and in the registry, region
codes known and inside the user's grants, exactly one 户主 per household, …). Any error → nothing
is written and the report lists each problem by row and column in Chinese. Otherwise all
households go in at once through the bulk loader, and each created household and person is
audited.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field

from django.conf import settings
from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.worksheet.datavalidation import DataValidation

from minzheng.foundation.accounts.scoping import has_permission
from minzheng.foundation.audit.services import Entry, audit_record, audit_record_many
from minzheng.foundation.codes import IdNumberError, mask_id_number, parse_id_number
from minzheng.foundation.regions.models import Region
from minzheng.foundation.tabular import TooBig, Unreadable, import_caps, too_large_message, xlsx_rows
from minzheng.foundation.text import clean_text
from minzheng.foundation.validation import is_digits

from . import normalise as nz
from .bulk import HouseholdRow, MemberRow, registry_bulk_load
from .models import DisabilityKind, HukouType, Person, Relation, SelfCare

COLUMNS = [
    # key, 表头, required, 说明
    ("household_key", "户序号", True, "同一家庭的成员填写相同的序号"),
    ("relation", "与户主关系", True, "户主/配偶/子女/父母/兄弟姐妹/孙子女/祖父母/儿媳/女婿/其他"),
    ("name", "姓名", True, ""),
    ("id_number", "身份证号", True, "18位，末位可为X"),
    ("ethnicity", "民族", False, "默认汉族"),
    ("phone", "联系电话", False, ""),
    ("hukou_type", "户籍类型", True, "城镇/农村"),
    ("hukou_region_code", "户籍地区划代码", False, "12位；空则同居住地"),
    ("region_code", "居住地区划代码", True, "12位村(社区)代码"),
    ("address", "家庭地址", False, "户主行填写"),
    ("bank_name", "开户银行", False, "户主行填写"),
    ("bank_account", "银行账号", False, "户主行填写"),
    ("disability_kind", "残疾类别", False, "视力/听力/言语/肢体/智力/精神/多重"),
    ("disability_grade", "残疾等级", False, "1–4"),
    ("serious_illness", "重病", False, "是/否"),
    ("labour_capacity", "劳动能力", False, "有/无；空为未评定"),
    ("self_care", "生活自理能力", False, "全自理/部分丧失/完全丧失"),
]
HEADERS = {label: key for key, label, _, _ in COLUMNS}
LABELS = {key: label for key, label, _, _ in COLUMNS}
RELATIONS = {label: value for value, label in Relation.choices} | {
    "儿媳": "child_in_law",
    "女婿": "child_in_law",
}
HUKOU = {label: value for value, label in HukouType.choices}
DISABILITY = {label: value for value, label in DisabilityKind.choices}
SELF_CARE = {label: value for value, label in SelfCare.choices}
YES = {"是": True, "有": True, "否": False, "无": False}


class ImportRefused(Exception):
    def __init__(self, report: dict):
        super().__init__(f"导入未执行：共{len(report['errors'])}处错误")
        self.report = report
        self.user_message = str(self)


def template_bytes() -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = "家庭成员"
    bold, fill = Font(bold=True), PatternFill("solid", fgColor="FDE9D9")
    for col, (_, label, required, _) in enumerate(COLUMNS, start=1):
        cell = ws.cell(row=1, column=col, value=label)
        cell.font = bold
        if required:
            cell.fill = fill
        ws.column_dimensions[cell.column_letter].width = max(10, len(label) * 2 + 4)
    for letter, options in (("B", RELATIONS), ("G", HUKOU), ("M", DISABILITY), ("Q", SELF_CARE)):
        dv = DataValidation(type="list", formula1='"' + ",".join(options) + '"', allow_blank=True)
        dv.add(f"{letter}2:{letter}{settings.MINZHENG_IMPORT_MAX_ROWS + 1}")
        ws.add_data_validation(dv)
    ws.freeze_panes = "A2"
    notes = wb.create_sheet("填写说明")
    notes.append(["列", "必填", "说明"])
    for _, label, required, note in COLUMNS:
        notes.append([label, "是" if required else "", note])
    notes.append([])
    notes.append(["整个文件任何一行有错误时，系统不会导入任何数据，并逐行列出错误。"])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


@dataclass
class Parsed:
    rows: list[tuple[int, dict]] = field(default_factory=list)
    errors: list[dict] = field(default_factory=list)


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return clean_text(str(value)).strip()


def read_workbook(data: bytes) -> Parsed:
    """The rows with content, numbered as in the file. Blank rows are skipped only after they
    are counted: the row cap (``MINZHENG_IMPORT_MAX_ROWS``) counts every row read, and reading
    stops at the first row past it (foundation/tabular.py); such a file gives one error and no row."""
    parsed = Parsed()
    caps = import_caps()
    if len(data) > caps.max_bytes:
        parsed.errors.append({"row": None, "column": None, "message": too_large_message(caps)})
        return parsed
    try:
        rows = xlsx_rows(data, caps)
        header = [_cell(v) for v in next(rows, (1, ()))[1]]
        keys = [HEADERS.get(h) for h in header]
        missing = [label for key, label, required, _ in COLUMNS if required and key not in keys]
        if missing:
            parsed.errors.append(
                {"row": 1, "column": None, "message": f"表头缺少必填列：{'、'.join(missing)}（请使用下载的模板）"}
            )
            return parsed
        for number, values in rows:
            if values.count(None) == len(values):  # counted by the reader, skipped here
                continue
            record = {k: _cell(v) for k, v in zip(keys, values, strict=False) if k}
            if not any(record.values()):
                continue
            parsed.rows.append((number, record))
    except TooBig as exc:
        parsed.rows.clear()
        parsed.errors.append({"row": exc.row, "column": None, "message": exc.message})
        return parsed
    except Unreadable:
        parsed.rows.clear()
        parsed.errors.append({"row": None, "column": None, "message": "无法读取文件：请上传由模板填写的 .xlsx 文件"})
        return parsed
    if not parsed.rows and not parsed.errors:
        parsed.errors.append({"row": None, "column": None, "message": "文件中没有数据行"})
    return parsed


def validate(parsed: Parsed, *, user) -> tuple[list[HouseholdRow], list[dict]]:
    errors = list(parsed.errors)

    def err(row, key, message):
        errors.append({"row": row, "column": LABELS.get(key, key) if key else None, "message": message})

    region_codes = {r.get(k, "") for _, r in parsed.rows for k in ("region_code", "hukou_region_code")} - {""}
    known = set(Region.objects.filter(code__in=region_codes).values_list("code", flat=True))
    seen_ids: dict[str, int] = {}
    groups: dict[str, list[tuple[int, MemberRow, dict]]] = {}
    for row, r in parsed.rows:
        for key, label, required, _ in COLUMNS:
            if required and not r.get(key):
                err(row, key, f"{label}不能为空")
        if msg := nz.check_name(r.get("name", "")):
            if r.get("name"):
                err(row, "name", msg)
        number = r.get("id_number", "").upper()
        if number:
            try:
                parse_id_number(number)
            except IdNumberError as exc:
                err(row, "id_number", str(exc))
            else:
                if number in seen_ids:
                    err(row, "id_number", f"身份证号与第{seen_ids[number]}行重复")
                seen_ids.setdefault(number, row)
        relation = RELATIONS.get(r.get("relation", ""))
        if r.get("relation") and relation is None:
            err(row, "relation", f"与户主关系“{r['relation']}”无效")
        hukou = HUKOU.get(r.get("hukou_type", ""))
        if r.get("hukou_type") and hukou is None:
            err(row, "hukou_type", "户籍类型应为城镇或农村")
        region = r.get("region_code", "")
        if region:
            if region not in known:
                err(row, "region_code", f"区划代码{region}不存在")
            elif not has_permission(user, "registry.import", region):
                err(row, "region_code", f"区划{region}不在您的管辖范围内")
        hukou_region = r.get("hukou_region_code") or region
        if r.get("hukou_region_code") and hukou_region not in known:
            err(row, "hukou_region_code", f"区划代码{hukou_region}不存在")
        if msg := nz.check_phone(r.get("phone", "")):
            err(row, "phone", msg)
        kind = DISABILITY.get(r.get("disability_kind", "")) if r.get("disability_kind") else ""
        if kind is None:
            err(row, "disability_kind", "残疾类别无效")
        grade = None
        if r.get("disability_grade"):
            try:
                grade = int(r["disability_grade"].replace("级", ""))
                if grade not in (1, 2, 3, 4):
                    raise ValueError
            except ValueError:
                err(row, "disability_grade", "残疾等级应为1–4")
        if bool(kind) != (grade is not None) and kind is not None:
            err(row, "disability_grade", "残疾类别与残疾等级须同时填写")
        flags = {}
        for key in ("serious_illness", "labour_capacity"):
            text = r.get(key, "")
            if text and text not in YES:
                err(row, key, f"{LABELS[key]}应填写是/否（有/无）")
            flags[key] = YES.get(text)
        self_care = SELF_CARE.get(r.get("self_care") or "全自理")
        if self_care is None:
            err(row, "self_care", "生活自理能力应为全自理、部分丧失或完全丧失")
        if r.get("bank_account") and not (is_digits(r["bank_account"]) and 12 <= len(r["bank_account"]) <= 30):
            err(row, "bank_account", "银行账号应为12–30位数字")
        member = MemberRow(
            name=r.get("name", ""),
            id_number=number,
            relation=relation or "other",
            hukou_type=hukou or "rural",
            hukou_region_code=hukou_region,
            region_code=region,
            ethnicity=r.get("ethnicity") or "汉族",
            phone=r.get("phone", ""),
            disability_kind=kind or "",
            disability_grade=grade,
            serious_illness=bool(flags["serious_illness"]),
            labour_capacity=flags["labour_capacity"],
            self_care=self_care or "full",
        )
        groups.setdefault(r.get("household_key", ""), []).append((row, member, r))
    # already in the registry?
    indexes = {nz.id_index(n): n for n in seen_ids}
    for index in Person.objects.filter(id_number_index__in=list(indexes)).values_list("id_number_index", flat=True):
        n = indexes[index]
        err(seen_ids[n], "id_number", f"身份证号{mask_id_number(n)}已在登记库中")
    households = []
    for key, members in groups.items():
        if not key:
            continue
        heads = [m for m in members if m[1].relation == "head"]
        first_row = members[0][0]
        if len(heads) != 1:
            err(first_row, "relation", f"户序号{key}的家庭应有且只有一名户主，实际{len(heads)}名")
            continue
        _, head, raw = heads[0]
        if len({m.region_code for _, m, _ in members}) > 1:
            err(first_row, "region_code", f"户序号{key}的成员居住地区划不一致")
        households.append(
            HouseholdRow(
                region_code=head.region_code,
                hukou_type=head.hukou_type,
                members=[head] + [m for _, m, _ in members if m is not head],
                address=raw.get("address", ""),
                bank_name=raw.get("bank_name", ""),
                bank_account=raw.get("bank_account", ""),
            )
        )
    errors.sort(key=lambda e: e["row"] or 0)
    return households, errors


def households_import(*, data: bytes, user, filename: str = "", progress=None) -> dict:
    """Validate the whole file; write all households or none. Returns the report."""
    parsed = read_workbook(data)
    households, errors = validate(parsed, user=user)
    report = {"file": filename, "rows": len(parsed.rows), "households": len(households), "errors": errors}
    if errors:
        audit_record(
            action="import_refused",
            object_type="registry.household",
            summary=f"导入{filename}被拒绝：{len(errors)}处错误",
        )
        raise ImportRefused(report)
    if progress:
        progress.total(len(parsed.rows))
    result = registry_bulk_load(households=households)
    entries = []
    for hid, h in zip(result["household_ids"], households, strict=True):
        entries.append(Entry("create", "registry.household", str(hid), h.region_code, f"导入家庭 {h.number}（{len(h.members)}人）",
                             {"members": [None, [mask_id_number(m.id_number) for m in h.members]], "source": [None, filename]}))  # fmt: skip
        for pid, m in zip(h.person_ids, h.members, strict=True):
            entries.append(Entry("create", "registry.person", str(pid), m.region_code, f"导入人员 {m.name}",
                                 {"id_number": [None, mask_id_number(m.id_number)], "household": [None, h.number]}))  # fmt: skip
    audit_record_many(entries=entries)
    if progress:
        progress.advance(len(parsed.rows), f"已导入{len(households)}户{result['persons']}人")
    report["persons"] = result["persons"]
    report["numbers"] = [h.number for h in households[:50]]
    return report

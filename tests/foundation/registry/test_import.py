import datetime as dt
import io

import pytest
from openpyxl import Workbook, load_workbook

from minzheng.foundation.audit.models import AuditEvent
from minzheng.foundation.audit.services import audit_verify
from minzheng.foundation.registry.imports import COLUMNS, ImportRefused, households_import, template_bytes
from minzheng.foundation.registry.models import Household, Membership, Person
from tests.conftest import ANYANG_VILLAGE, TANGXIA_VILLAGE

LABELS = [label for _, label, _, _ in COLUMNS]


def workbook(rows) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.append(LABELS)
    for r in rows:
        ws.append([r.get(label, "") for label in LABELS])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def row(key, relation, name, id_number, region=ANYANG_VILLAGE, **extra):
    return {
        "户序号": key,
        "与户主关系": relation,
        "姓名": name,
        "身份证号": id_number,
        "户籍类型": "农村",
        "居住地区划代码": region,
        **extra,
    }


def test_template_has_every_column_and_instructions():
    wb = load_workbook(io.BytesIO(template_bytes()))
    assert [c.value for c in wb["家庭成员"][1]] == LABELS
    assert "填写说明" in wb.sheetnames


@pytest.mark.django_db
def test_valid_file_imports_all_households_and_audits(anyang_user, ids):
    data = workbook(
        [
            row(1, "户主", "周大海", ids(), 银行账号="6228480012345678901", 开户银行="农业银行", 家庭地址="兴隆路8号"),
            row(1, "配偶", "吴小红", ids(male=False), 联系电话="13812345678"),
            row(1, "子女", "周晨", ids(birth=dt.date(2015, 3, 3)), 残疾类别="智力", 残疾等级="2"),
            row(2, "户主", "孙老汉", ids(birth=dt.date(1940, 1, 1)), 劳动能力="无", 生活自理能力="部分丧失", 重病="是"),
        ]
    )
    report = households_import(data=data, user=anyang_user, filename="t.xlsx")
    assert (report["households"], report["persons"], report["errors"]) == (2, 4, [])
    h = Household.objects.get(head__name="周大海")
    assert (h.address, h.bank_name, h.bank_account) == ("兴隆路8号", "农业银行", "6228480012345678901")
    assert Membership.objects.filter(household=h, valid_to__isnull=True).count() == 3
    child = Person.objects.get(name="周晨")
    assert (child.disability_kind, child.disability_grade, child.birth_date) == ("intellectual", 2, dt.date(2015, 3, 3))
    old = Person.objects.get(name="孙老汉")
    assert (old.labour_capacity, old.self_care, old.serious_illness) == (False, "partial", True)
    assert AuditEvent.objects.filter(action="create", object_type="registry.person").count() == 4
    assert AuditEvent.objects.filter(action="create", object_type="registry.household").count() == 2
    assert audit_verify().ok


@pytest.mark.django_db
def test_any_bad_row_writes_nothing_and_reports_each_problem(anyang_user, household_in, ids):
    _, existing, _ = household_in
    good = ids()
    before = (Person.objects.count(), Household.objects.count())
    data = workbook(
        [
            row(1, "户主", "甲", good),
            row(1, "配偶", "乙", good),  # duplicate in file
            row(2, "配偶", "丙", ids()),  # household without head
            row(3, "户主", "丁", "330381197106147490"),  # bad checksum
            row(4, "户主", "戊", ids(), region="330381999999"),  # unknown region
            row(5, "户主", "己", ids(), region=TANGXIA_VILLAGE),  # outside the user's grant
            row(6, "户主", "庚", existing.id_number),  # already registered
            row(7, "老板", "辛", ids()),  # unknown relation
            row(8, "户主", "壬", ids(), 残疾等级="5", 残疾类别="肢体"),
        ]
    )
    with pytest.raises(ImportRefused) as exc:
        households_import(data=data, user=anyang_user)
    errors = exc.value.report["errors"]
    by_row = {}
    for e in errors:
        by_row[(e["row"], e["column"])] = by_row.get((e["row"], e["column"]), "") + e["message"]
    assert "与第2行重复" in by_row[(3, "身份证号")]
    assert "应有且只有一名户主" in by_row[(4, "与户主关系")]
    assert "校验位错误" in by_row[(5, "身份证号")]
    assert "不存在" in by_row[(6, "居住地区划代码")]
    assert "不在您的管辖范围" in by_row[(7, "居住地区划代码")]
    assert "已在登记库中" in by_row[(8, "身份证号")]
    assert "无效" in by_row[(9, "与户主关系")]
    assert "1–4" in by_row[(10, "残疾等级")]
    assert (Person.objects.count(), Household.objects.count()) == before
    assert AuditEvent.objects.filter(action="import_refused").count() == 1


@pytest.mark.django_db
def test_not_an_excel_file(anyang_user):
    with pytest.raises(ImportRefused) as exc:
        households_import(data=b"name,id\n", user=anyang_user)
    assert "无法读取文件" in exc.value.report["errors"][0]["message"]


@pytest.mark.django_db
def test_wrong_header(anyang_user):
    wb = Workbook()
    wb.active.append(["姓名", "身份证"])
    buf = io.BytesIO()
    wb.save(buf)
    with pytest.raises(ImportRefused) as exc:
        households_import(data=buf.getvalue(), user=anyang_user)
    assert "表头缺少必填列" in exc.value.report["errors"][0]["message"]

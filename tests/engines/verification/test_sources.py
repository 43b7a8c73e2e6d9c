"""Partner data sources: the catalog, set-based checking, all-or-nothing loads into immutable
Parquet batches, DuckDB views, reveal, prune and the ``minzheng sources`` command."""

import datetime as dt
import io
import json
from decimal import Decimal
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from minzheng.business.assistance.sources import CODES, SOURCES
from minzheng.engines.verification import store
from minzheng.engines.verification.models import BatchState, DataSource, SourceBatch
from minzheng.foundation.audit.models import AuditEvent
from minzheng.foundation.codes.idnumbers import make_id_number
from minzheng.foundation.validation import Refused

DEATH_HEADER = "id_number,name,death_date,cancelled_on,region_code"


@pytest.fixture(autouse=True)
def _var_dir(settings, tmp_path):
    settings.VAR_DIR = tmp_path / "var"
    settings.MEDIA_ROOT = tmp_path / "media"


def death_csv(*rows: str, header: str = DEATH_HEADER, bom: bool = False, encoding: str = "utf-8") -> bytes:
    text = "\n".join([header, *rows]) + "\n"
    return (b"\xef\xbb\xbf" if bom else b"") + text.encode(encoding)


def load(data, source="death", **kw):
    kw.setdefault("file_name", "f.csv")
    kw.setdefault("user", None)
    kw.setdefault("channel", "cli")
    return store.batch_load(source=source, data=data, **kw)


# ---------------------------------------------------------------- catalog


@pytest.mark.django_db
def test_catalog_seeded_with_thirteen_sources_and_admin_changes_kept():
    from minzheng.business.assistance.sources import sources_ensure

    assert set(DataSource.objects.values_list("code", flat=True)) >= set(CODES)
    assert len(CODES) == 13
    cremation = DataSource.objects.get(code="cremation")
    assert cremation.internal and cremation.department == "民政殡葬"
    bank = DataSource.objects.get(code="bank")
    assert next(c for c in bank.columns if c["name"] == "account_no")["sensitive"]
    DataSource.objects.filter(code="death").update(owner="公安局人口支队", freshness_days=7, name="改过的名字")
    sources_ensure()
    death = DataSource.objects.get(code="death")
    assert (death.owner, death.freshness_days, death.name) == ("公安局人口支队", 7, "死亡登记")


def test_catalog_columns_are_well_formed():
    for spec in SOURCES:
        names = [c["name"] for c in spec["columns"]]
        assert names[:2] == ["id_number", "name"] and len(set(names)) == len(names)
        for col in spec["columns"]:
            assert col["type"] in store.TYPES and col["label"]
            assert (col["type"] == "choice") == bool(col.get("choices"))


# ---------------------------------------------------------------- loading


@pytest.mark.django_db
def test_good_batch_is_queryable_encrypted_and_matches_the_registry(household_in, ids):
    _, head, spouse = household_in
    stranger = ids(birth=dt.date(1940, 3, 3))
    head_id, spouse_id = head.id_number, spouse.id_number
    data = death_csv(
        f"{head_id},王建国,2025-03-01,2025-03-05,330381001001",
        f"{stranger},张三,2025/3/2,,330381",
        f"{spouse_id.lower() if spouse_id[-1] == 'X' else spouse_id},李秀英,20250110,,",
        bom=True,
    )
    batch = load(data, as_of=dt.date(2025, 4, 1))
    assert batch.state == BatchState.ACCEPTED and batch.version == 1
    assert (batch.rows, batch.persons, batch.matched) == (3, 3, 2)
    assert batch.path == f"sources/death/{batch.pk}.parquet"
    raw = store.batch_path(batch).read_bytes()
    for plain in (head_id, spouse_id, stranger):
        assert plain.encode() not in raw
    table = pq.read_table(store.batch_path(batch))
    assert table.column_names == [name for name, _ in store.batch_columns(batch.source)]
    assert table.schema.field("death_date").type == pa.date32()
    assert table.column("id_index").to_pylist() == sorted(table.column("id_index").to_pylist())

    con = duckdb.connect()
    used = store.duck_sources(con, codes=["death", "vehicle"])
    assert used == {"death": batch, "vehicle": None}
    row = con.execute(
        "SELECT row_no, id_masked, id_enc, death_date, region_code FROM src_death WHERE id_index = ?",
        [head.id_number_index],
    ).fetchone()
    assert row[0] == 2 and row[1] == head.id_number_masked and row[2].startswith("sm4g:")
    assert row[3] == dt.date(2025, 3, 1) and row[4] == "330381001001"
    assert con.execute("SELECT region_code FROM src_death WHERE row_no = 3").fetchone() == ("330381000000",)
    assert con.execute("SELECT death_date FROM src_death WHERE row_no = 4").fetchone() == (dt.date(2025, 1, 10),)
    # a source with no batch is an empty view with the right columns and types
    assert con.execute("SELECT count(*) FROM src_vehicle").fetchone() == (0,)
    types = dict(con.execute("SELECT column_name, column_type FROM (DESCRIBE src_vehicle)").fetchall())
    assert types["purchase_price"] == "DECIMAL(16,2)" and types["registered_on"] == "DATE"
    audit = AuditEvent.objects.filter(object_type="verification.sourcebatch", action="import").get()
    assert audit.changes["rows"] == 3 and audit.changes["state"] == "accepted"


@pytest.mark.django_db
def test_one_bad_row_refuses_the_whole_batch_and_changes_nothing(ids):
    first = load(death_csv(f"{ids()},甲,2025-01-01,,"))
    bad = make_id_number("330381", dt.date(1950, 1, 1), 7)[:-1] + "0"
    if bad == make_id_number("330381", dt.date(1950, 1, 1), 7):
        bad = bad[:-1] + "1"
    batch = load(
        death_csv(
            f"{ids()},乙,2025-01-01,,",
            f"{bad},丙,2025-02-30,,",
            f"{ids()},,2025-01-03,,33038",
        )
    )
    assert batch.state == BatchState.REFUSED and batch.version is None and not batch.path
    assert batch.error_count == 2 and batch.rows == 3
    by_cell = {(e["row"], e["column"]): e["message"] for e in batch.errors}
    assert "校验位错误" in by_cell[(3, "身份证号（id_number）")]
    assert "不是有效日期" in by_cell[(3, "死亡日期（death_date）")]
    assert by_cell[(4, "姓名（name）")] == "必填，不能为空"
    assert "区划代码" in by_cell[(4, "户籍地区划代码（region_code）")]
    assert store.current_batches(["death"]) == {"death": first}
    assert list((store.batch_path(first).parent).glob("*")) == [store.batch_path(first)]
    assert AuditEvent.objects.filter(object_id=str(batch.pk), action="import").exists()


@pytest.mark.django_db
def test_header_must_match_and_names_the_columns(ids):
    batch = load(death_csv(f"{ids()},甲,2025-01-01", header="id_number,name,death_day"))
    assert batch.state == BatchState.REFUSED
    message = batch.errors[0]["message"]
    assert batch.errors[0]["row"] == 1
    assert "缺少列：死亡日期（death_date）" in message and "不认识的列：death_day" in message


@pytest.mark.django_db
def test_chinese_labels_as_header_and_gb18030(ids):
    header = "身份证号,姓名,死亡日期,户口注销日期,户籍地区划代码"
    batch = load(death_csv(f"{ids()},欧阳娜娜,2025-01-01,,", header=header, encoding="gb18030"))
    assert batch.state == BatchState.ACCEPTED
    con = duckdb.connect()
    store.duck_sources(con, codes=["death"])
    assert con.execute("SELECT name FROM src_death").fetchone() == ("欧阳娜娜",)


@pytest.mark.django_db
def test_versions_increase_and_current_is_latest(ids):
    one = load(death_csv(f"{ids()},甲,2025-01-01,,"))
    refused = load(death_csv("x,乙,2025-01-01,,"))
    two = load(death_csv(f"{ids()},丙,2025-01-01,,"))
    assert (one.version, refused.version, two.version) == (1, None, 2)
    assert store.current_batches() == {"death": two}


@pytest.mark.django_db
def test_typed_columns_choices_labels_sensitive_and_months(ids):
    person = ids()
    bank = load(
        "\n".join(
            [
                "id_number,name,institution,account_no,product_type,balance",
                f'{person},甲,农业银行,6228480012345678901,deposit,"12,345.6"',
                f"{person},甲,某证券,A123,证券（股票、基金、理财）,0",
            ]
        ),
        source="bank",
    )
    assert bank.state == BatchState.ACCEPTED, bank.errors
    assert (bank.rows, bank.persons) == (2, 1)
    raw = store.batch_path(bank).read_bytes()
    assert b"6228480012345678901" not in raw
    table = pq.read_table(store.batch_path(bank)).sort_by("row_no")
    assert table.column("balance").to_pylist() == [Decimal("12345.60"), Decimal("0.00")]
    assert table.column("product_type").to_pylist() == ["deposit", "securities"]
    assert table.column("account_no_masked").to_pylist() == ["6228****8901", "****"]

    insurance = load(
        "id_number,name,insurance_type,month,monthly_wage_base,contribution,monthly_pension,employer\n"
        f"{person},甲,resident_pension,2024-5,,,180.5,\n"
        f"{person},甲,employee_pension,202406,4000,320,,某厂\n",
        source="social_insurance",
    )
    assert insurance.state == BatchState.ACCEPTED, insurance.errors
    months = pq.read_table(store.batch_path(insurance)).sort_by("row_no").column("month").to_pylist()
    assert months == [dt.date(2024, 5, 1), dt.date(2024, 6, 1)]


@pytest.mark.django_db
def test_choice_and_number_errors_in_chinese(ids):
    person = ids()
    batch = load(
        "id_number,name,kind,grade,issued_on,valid_until\n"
        f"{person},甲,legs,5,2020-01-01,\n"
        f"{person},甲,limb,1.5,2020-01-01,\n",
        source="disability_certificate",
    )
    messages = {(e["row"], e["column"]): e["message"] for e in batch.errors}
    assert "不是可选值" in messages[(2, "残疾类别（kind）")] and "limb（肢体残疾）" in messages[(2, "残疾类别（kind）")]
    assert messages[(2, "残疾等级（grade）")].startswith("不能大于 4")
    assert messages[(3, "残疾等级（grade）")].startswith("须为整数")
    money = load(
        f"id_number,name,institution,account_no,product_type,balance\n{person},甲,行,1,deposit,1.234\n",
        source="bank",
    )
    assert "小数位数不能超过 2 位" in money.errors[0]["message"]


@pytest.mark.django_db
def test_xlsx_upload(ids):
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(
        ["id_number", "name", "plate_no", "vehicle_type", "registered_on", "purchase_price", "status", "cancelled_on"]
    )
    ws.append([ids(), "甲", "浙C12345", "小型载客汽车", dt.datetime(2023, 5, 6), 85000.5, "normal", None])
    ws.append([])
    buf = io.BytesIO()
    wb.save(buf)
    batch = load(buf.getvalue(), source="vehicle", file_name="v.xlsx")
    assert batch.state == BatchState.ACCEPTED, batch.errors
    table = pq.read_table(store.batch_path(batch))
    assert table.column("registered_on").to_pylist() == [dt.date(2023, 5, 6)]
    assert table.column("purchase_price").to_pylist() == [Decimal("85000.50")]
    assert table.column("vehicle_type").to_pylist() == ["small_passenger"]


@pytest.mark.django_db
def test_ragged_rows_and_empty_files_are_refused(ids):
    ragged = load(death_csv(f"{ids()},甲,2025-01-01,,", f"{ids()},乙,2025-01-01,,,extra"))
    assert ragged.state == BatchState.REFUSED and ragged.errors[0]["row"] == 3
    empty = load(death_csv())
    assert empty.state == BatchState.REFUSED and "没有数据行" in empty.errors[0]["message"]
    with pytest.raises(Refused):
        load(death_csv(f"{ids()},甲,2025-01-01,,"), source="nope")


@pytest.mark.django_db
def test_error_list_is_capped(ids):
    rows = [f"{ids()},甲,not-a-date,," for _ in range(600)] + [f"x{i},甲,2025-01-01,," for i in range(600)]
    batch = load(death_csv(*rows))
    assert batch.error_count == 1200 and len(batch.errors) == store.MAX_ERRORS
    assert batch.errors[0]["row"] == 2


@pytest.mark.django_db
def test_reveal_is_audited_and_needs_permission(household_in, county_user, anyang_user):
    _, head, _ = household_in
    batch = load(death_csv(f"{head.id_number},王建国,2025-03-01,,"))
    assert store.batch_reveal(county_user, batch, 2) == head.id_number
    assert AuditEvent.objects.filter(action="reveal", object_id=str(batch.pk)).count() == 1
    with pytest.raises(Exception, match="权限"):
        store.batch_reveal(anyang_user, batch, 2)
    rows = store.batch_rows(batch, id_indexes=[head.id_number_index])
    assert rows == [
        {
            "row_no": 2,
            "id_masked": head.id_number_masked,
            "name": "王建国",
            "death_date": dt.date(2025, 3, 1),
            "cancelled_on": None,
            "region_code": None,
        }
    ]


@pytest.mark.django_db
def test_prune_keeps_newest_and_protected(ids):
    batches = [load(death_csv(f"{ids()},甲,2025-01-01,,")) for _ in range(4)]
    pruned = store.batches_prune(2, {batches[0].pk})
    assert pruned == [batches[1].pk]
    assert not store.batch_path(SourceBatch.objects.get(pk=batches[1].pk)).is_file()
    assert SourceBatch.objects.get(pk=batches[1].pk).path == ""
    assert store.batch_path(batches[0]).is_file() and store.current_batches()["death"] == batches[3]


@pytest.mark.django_db
def test_many_rows_use_the_worker_processes(ids, monkeypatch):
    monkeypatch.setattr(store, "POOL_MIN", 10)
    people = [make_id_number("330381", dt.date(1960, 1, 1) + dt.timedelta(days=i), 1) for i in range(60)]
    batch = load(death_csv(*[f"{p},某,2025-01-01,," for p in people + people[:5]]))
    assert batch.state == BatchState.ACCEPTED and batch.persons == 60 and batch.rows == 65
    from minzheng.foundation.registry.normalise import id_index

    table = pq.read_table(store.batch_path(batch))
    assert set(table.column("id_index").to_pylist()) == {id_index(p) for p in people}


# ---------------------------------------------------------------- the vectorised checks


@given(st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2024, 12, 31)), st.integers(0, 999))
@settings(max_examples=200, deadline=None)
def test_id_number_vector_check_agrees_with_gb11643(birth, seq):
    from minzheng.foundation.codes import validate_id_number

    good = make_id_number("330381", birth, seq)
    variants = [good, good[:-1] + ("0" if good[-1] != "0" else "1"), good[:6] + "19990231" + good[14:], good[:17],
                make_id_number("190381", birth, seq), make_id_number("933156", birth, seq),
                make_id_number("966156", birth, seq), make_id_number("830000", birth, seq)]  # fmt: skip
    ok = store.id_numbers_valid(pa.array(variants), today=dt.date(2025, 1, 1))
    assert list(ok) == [validate_id_number(v) is None for v in variants]


@given(
    st.lists(
        st.decimals(min_value=Decimal("-99999999999999.99"), max_value=Decimal("99999999999999.99"), places=2),
        min_size=1,
        max_size=20,
    ),
    st.lists(st.dates(min_value=dt.date(1880, 1, 1), max_value=dt.date(2100, 12, 31)), min_size=1, max_size=20),
)
@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_decimal_and_date_parsing_round_trip(amounts, days):
    today = dt.date(2025, 1, 1)
    dec = store._check_column({"name": "a", "type": "decimal"}, pa.array([str(a) for a in amounts]), today)
    assert not dec.bad.any() and dec.values.to_pylist() == amounts
    for fmt in ("%Y-%m-%d", "%Y%m%d", "%Y/%m/%d"):
        texts = [f"{d.year:04d}{d.strftime(fmt)[4:]}" for d in days]
        checked = store._check_column({"name": "d", "type": "date"}, pa.array(texts), today)
        assert not checked.bad.any() and checked.values.to_pylist() == days


# ---------------------------------------------------------------- CLI


def _cli(*args) -> str:
    out = io.StringIO()
    call_command("sources", *args, stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_cli_load_list_show_template_prune(tmp_path, ids):
    good = tmp_path / "death.csv"
    good.write_bytes(death_csv(f"{ids()},甲,2025-01-01,,"))
    out = json.loads(_cli("load", "--source", "death", "--file", str(good), "--as-of", "2025-02-01"))
    batch = SourceBatch.objects.get()
    assert out == {"source": "death", "batch": batch.pk, "rows": 1, "accepted": True, "errors": []}
    assert batch.channel == "cli" and batch.as_of == dt.date(2025, 2, 1)

    bad = tmp_path / "bad.csv"
    bad.write_bytes(death_csv("123,甲,2025-01-01,,"))
    with pytest.raises(SystemExit) as exit_:
        _cli("load", "--source", "death", "--file", str(bad))
    assert exit_.value.code == 1

    listed = [json.loads(line) for line in _cli("list").splitlines()]
    death = next(x for x in listed if x["code"] == "death")
    assert death["version"] == 1 and death["rows"] == 1 and death["stale"] is True and death["department"] == "公安"
    assert next(x for x in listed if x["code"] == "bank")["version"] is None

    shown = json.loads(_cli("show", "death"))
    assert shown["columns"][0]["name"] == "id_number" and [b["state"] for b in shown["batches"]] == [
        "refused",
        "accepted",
    ]
    template = tmp_path / "t.csv"
    _cli("template", "vehicle", "--out", str(template))
    assert template.read_bytes().decode("utf-8-sig").strip() == ",".join(
        c["name"] for c in DataSource.objects.get(code="vehicle").columns
    )
    assert json.loads(_cli("prune", "--keep", "1")) == {"pruned": []}
    with pytest.raises(CommandError):
        _cli("show", "nope")


@pytest.mark.django_db
def test_sources_docs_are_current():
    committed = Path(__file__).resolve().parents[3] / "docs" / "sources.md"
    assert committed.read_text() == _cli("docs"), (
        "docs/sources.md is stale: run `minzheng sources docs --write docs/sources.md`"
    )


@pytest.mark.django_db
def test_business_registration_batch_takes_every_registration_authority(ids):
    """A 市场主体 batch with a law firm (31), a 基层工会 (81) and a 村级集体经济组织 (N2) partner is
    accepted; a code of an unknown authority/kind pair is still refused, with its row."""
    header = "id_number,name,role,entity_name,uscc,entity_type,registered_capital,status,registered_on,cancelled_on"
    rows = [
        f"{ids()},甲,legal_rep,某律师事务所,31330000MD0185962P,partnership,,active,2020-01-01,",
        f"{ids()},乙,legal_rep,某公司工会委员会,81330381MB1234567U,other,,active,2019-05-01,",
        f"{ids()},丙,legal_rep,某村股份经济合作社,N2330381MF1234567J,other,,active,2018-03-01,",
        f"{ids()},丁,operator,某店,92340602MA2PBMEM24,individual,,active,2021-03-01,",
    ]
    batch = load("\n".join([header, *rows]) + "\n", source="business_registration")
    assert batch.state == BatchState.ACCEPTED, batch.errors
    assert batch.rows == 4
    bad = load("\n".join([header, rows[0].replace("31330000MD0185962P", "36330000MD01859628")]) + "\n",
               source="business_registration")  # fmt: skip
    assert bad.state == BatchState.REFUSED
    assert "组合无效" in bad.errors[0]["message"]

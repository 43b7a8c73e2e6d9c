import csv
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from hypothesis import given, settings
from hypothesis import strategies as st

from minzheng.foundation.regions.models import Region
from minzheng.foundation.regions.services import RegionImportError, regions_import
from tests.conftest import DEMO_REGIONS


@pytest.mark.django_db
def test_import_demo_fixture_and_rerun_updates_without_duplicating(tmp_path):
    first = regions_import(source=DEMO_REGIONS)
    total = Region.objects.count()
    assert first.inserted == total == first.rows
    assert first.by_level == {"province": 4, "city": 4, "county": 47, "township": 697, "village": 11676}
    # a renamed village in a newer edition: re-import updates in place
    edited = tmp_path / "src"
    edited.mkdir()
    for f in DEMO_REGIONS.iterdir():
        rows = list(csv.reader(f.open(encoding="utf-8")))
        for row in rows:
            if row[0] == "330381001001":
                row[1] = "新名社区居委会"
        with (edited / f.name).open("w", encoding="utf-8", newline="") as out:
            csv.writer(out).writerows(rows)
    second = regions_import(source=edited)
    assert second.inserted == 0
    assert Region.objects.count() == total
    assert Region.objects.get(code="330381001001").name == "新名社区居委会"


@pytest.mark.django_db
def test_tree_shape():
    regions_import(source=DEMO_REGIONS, prefixes=("330381",))
    village = Region.objects.get(code="330381001001")
    assert village.level == "village" and village.parent_id == "330381001000"
    town = village.parent
    assert town.level == "township" and town.prefix == "330381001" and town.gb_code == ""
    county = town.parent
    assert (county.code, county.gb_code, county.name, county.prefix) == ("330381000000", "330381", "瑞安市", "330381")
    assert county.parent.parent.name == "浙江省"


@pytest.mark.django_db
def test_township_without_county_hangs_under_city(tmp_path):
    (tmp_path / "provinces.csv").write_text('code,name\n44,"广东省"\n', encoding="utf-8")
    (tmp_path / "cities.csv").write_text('code,name,provinceCode\n4419,"东莞市",44\n', encoding="utf-8")
    (tmp_path / "areas.csv").write_text("code,name,cityCode,provinceCode\n", encoding="utf-8")
    (tmp_path / "streets.csv").write_text(
        'code,name,areaCode,provinceCode,cityCode\n441900003,"东城街道",441900,44,4419\n', encoding="utf-8"
    )
    (tmp_path / "villages.csv").write_text(
        'code,name,streetCode,provinceCode,cityCode,areaCode\n441900003001,"东城社区",441900003,44,4419,441900\n',
        encoding="utf-8",
    )
    regions_import(source=tmp_path)
    assert Region.objects.get(code="441900003000").parent_id == "441900000000"
    assert Region.objects.get(code="441900003001").parent_id == "441900003000"


@pytest.mark.django_db
def test_missing_file_is_refused(tmp_path):
    with pytest.raises(RegionImportError, match=r"缺少 provinces\.csv"):
        regions_import(source=tmp_path)


@pytest.mark.django_db
def test_show_command(capsys, regions):
    call_command("regions", "show", "330381")
    out = json.loads(capsys.readouterr().out)
    assert out["code"] == "330381000000" and out["name"] == "瑞安市" and out["level"] == "county"
    assert [r["name"] for r in out["parent_chain"]] == ["浙江省", "温州市"]
    assert out["children"] == Region.objects.filter(parent_id="330381000000").count() > 20
    with pytest.raises(CommandError, match="找不到区划"):
        call_command("regions", "show", "999999")


@pytest.mark.django_db
def test_region_prefix_uses_level_not_trailing_zeros(regions):
    from minzheng.foundation.regions.selectors import region_prefix

    assert region_prefix("330381000000") == "330381"
    assert region_prefix("330381001000") == "330381001"
    assert region_prefix("330381001001") == "330381001001"
    assert region_prefix("3303811") == "3303811"  # a typed prefix stays as typed
    # a 镇 numbered 100 (as in many counties): its prefix keeps the zeros
    Region.objects.create(code="330381100000", name="某镇", level="township", parent_id="330381000000")
    assert region_prefix("330381100000") == "330381100"


@settings(max_examples=200, deadline=None)
@given(
    codes=st.lists(st.text("0123456789", min_size=12, max_size=12), min_size=1, max_size=30),
    prefixes=st.lists(st.text("0123456789", min_size=1, max_size=12), max_size=4),
    literal=st.booleans(),
)
def test_prefix_sql_selects_exactly_the_codes_under_a_prefix(codes, prefixes, literal):
    """The one hand-written-SQL form of the region-prefix rule (payroll statistics, DuckDB cohorts and
    simulations) selects what ``startswith`` says, parameters or literals alike."""
    import sqlite3

    from minzheng.foundation.regions.prefixes import prefix_sql

    con = sqlite3.connect(":memory:")
    con.execute("CREATE TABLE t (code TEXT)")
    con.executemany("INSERT INTO t VALUES (?)", [(c,) for c in codes])
    sql, params = prefix_sql("code", prefixes, literal=literal)
    query = f"SELECT code FROM t WHERE {sql}".replace("%s", "?")  # noqa: S608  (the helper under test)
    got = sorted(r[0] for r in con.execute(query, params))
    assert got == sorted(c for c in codes if any(c.startswith(p) for p in prefixes))

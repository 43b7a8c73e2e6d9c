"""The foundation's DuckDB datasets: the cohort of registry members (by default every household
under a region prefix) and the partner views, read without importing the verification engine."""

from __future__ import annotations

import pytest

from minzheng.foundation.olap import duck_connect
from minzheng.foundation.olap.cohort import MEMBER_COLUMNS, cohort_load
from minzheng.foundation.olap.partners import partner_current, partner_views


@pytest.mark.django_db
def test_household_cohort_is_scoped_by_region_prefix(household_in, household_other, tmp_path):
    household, head, spouse = household_in
    con = duck_connect(tmp_path)
    try:
        assert cohort_load(con, workdir=tmp_path, region_prefix="330381001") == 2
        rows = con.execute(
            "SELECT household_id, person_id, is_head, relation, region_code, hukou_type FROM cohort ORDER BY person_id"
        ).fetchall()
        columns = [d[0] for d in con.execute("SELECT * FROM cohort LIMIT 0").description]
        assert cohort_load(con, workdir=tmp_path) == 2 + household_other[0].memberships.filter(valid_to=None).count()
    finally:
        con.close()
    assert rows == [
        (household.pk, head.pk, True, "head", household.region_code, "urban"),
        (household.pk, spouse.pk, False, "spouse", household.region_code, "urban"),
    ]
    assert columns == [*MEMBER_COLUMNS, "region_code", "hukou_type"]


@pytest.mark.django_db
def test_partner_views_without_data_are_empty_and_typed(tmp_path):
    con = duck_connect(tmp_path)
    try:
        assert partner_views(con, codes=["death"]) == {"death": None}
        assert con.execute("SELECT count(*) FROM src_death").fetchone() == (0,)
        types = dict(con.execute("SELECT column_name, column_type FROM (DESCRIBE src_death)").fetchall())
        with pytest.raises(ValueError, match="未知数据源"):
            partner_views(con, codes=["no_such_source"])
    finally:
        con.close()
    assert types["death_date"] == "DATE" and types["id_index"] == "VARCHAR"
    assert partner_current() == {}

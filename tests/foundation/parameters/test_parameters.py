"""Policy parameters as a foundation app (ADR 0017): the move of ``Standard`` out of the benefits
engine kept its table and rows, and nothing but the parameters app defines them."""

from __future__ import annotations

import datetime as dt

import pytest
from django.apps import apps
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from minzheng.foundation.parameters.models import Standard

BEFORE = [("benefits", "0008_oneoff_reissue_recovery"), ("parameters", None)]


def test_the_model_keeps_the_table_the_benefits_engine_created():
    assert Standard._meta.db_table == "benefits_standard"
    assert Standard._meta.app_label == "parameters"
    with pytest.raises(LookupError):
        apps.get_model("benefits", "Standard")


@pytest.mark.django_db(transaction=True)
def test_migrating_from_the_schema_before_the_move_keeps_the_rows():
    """Back to the schema of before the move (``Standard`` in the benefits engine), a row written
    there, then forward: the same row is the parameters' model's, no table created or dropped."""
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    try:
        old = executor.loader.project_state(BEFORE[0]).apps
        assert old.get_model("benefits", "Standard")._meta.db_table == "benefits_standard"
        with pytest.raises(LookupError):
            old.get_model("parameters", "Standard")
        before = old.get_model("benefits", "Standard").objects.create(
            key="dibao_monthly", region_code="330300000000", effective_from=dt.date(2026, 1, 1), value=1180,
            source_document="迁移前录入",
        )  # fmt: skip
        tables = set(connection.introspection.table_names())
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())
    assert set(connection.introspection.table_names()) >= tables
    row = Standard.objects.get(pk=before.pk)
    assert (row.key, row.region_code, row.value, row.source_document) == (
        "dibao_monthly", "330300000000", 1180, "迁移前录入",
    )  # fmt: skip


# ---------------------------------------------------------------- income exclusions (policy data)

TANGXIA_VILLAGE, ANYANG_VILLAGE, TANGXIA = "330381101009", "330381001001", "330381101000"
AS_OF = dt.date(2026, 11, 1)


def _household(region: str, kind: str, annual: int) -> dict:
    return {"region_code": region, "hukou_type": "urban", "as_of": AS_OF.isoformat(),
            "members": [{"name": "甲", "birth_date": "1980-01-01"}],
            "incomes": [{"member": 0, "kind": kind, "annual_amount": annual}],
            "standards": {"dibao_monthly": 1000, "category_topup_monthly": 0}}  # fmt: skip


def _judge(units: list[tuple[int, str, str, int]]) -> dict[int, bool]:
    """The verification judge's income verdict (over the line?) for ``(unit, region, kind, annual)``,
    through the engine's own steps: standards (and exclusions) per region signature, then the SQL."""
    from minzheng.engines.verification import findings as fx
    from minzheng.foundation.olap import duck_connect, insert_rows

    con = duck_connect()
    try:
        fx.units_create(con)
        insert_rows(con, "units", [[u, u, "dibao", region, "urban", 1, None] for u, region, _k, _a in units])
        con.execute("CREATE TABLE amounts (unit_id BIGINT, category VARCHAR, kind VARCHAR, amount DECIMAL(18,2), "
                    "count BIGINT)")  # fmt: skip
        insert_rows(con, "amounts", [[u, "income", kind, annual, None] for u, _r, kind, annual in units])
        assert fx.standards_attach(con, as_of=AS_OF) == []
        fx.checks_run(con)
        return dict(con.execute("SELECT unit_id, over FROM checks WHERE code = 'income'").fetchall())
    finally:
        con.close()


def test_the_migration_seeds_what_the_policy_ensures():
    """The nationwide rows the data migration wrote and those ``policy_ensure`` restores after a
    flush are the same rows with the same citations."""
    import importlib

    from minzheng.business.assistance.policy import NATIONWIDE_EXCLUSIONS

    seed = importlib.import_module("minzheng.business.assistance.migrations.0002_income_exclusions")
    assert sorted(seed.ROWS) == sorted(NATIONWIDE_EXCLUSIONS)
    assert all(citation.strip() for *_k, citation in seed.ROWS)


@pytest.mark.django_db
def test_a_region_counting_an_excluded_kind_changes_its_assessment_and_judge_only(assistance_standards):
    """塘下镇 counts 基础养老金 from 2026-01 (a regional row, cited): a household there with 基础养老金
    as large as the line is no longer at the full gap, and the judge finds it over the line; a
    household of 安阳街道 (same city, same standards) is assessed and judged as before; before the
    row's date 塘下 is as before too."""
    from minzheng.business.assistance.assessment import assessment_run
    from minzheng.foundation.audit.models import AuditEvent
    from minzheng.foundation.parameters.models import IncomeExclusion
    from minzheng.foundation.parameters.services import income_exclusion_set

    def counted(region, on=AS_OF):
        return assessment_run({**_household(region, "basic_pension", 12_000), "as_of": on.isoformat()})[
            "annual_income_counted"
        ]

    units = [(1, TANGXIA_VILLAGE, "basic_pension", 20_000), (2, ANYANG_VILLAGE, "basic_pension", 20_000)]
    assert (counted(TANGXIA_VILLAGE), counted(ANYANG_VILLAGE)) == ("0.00", "0.00")
    # the judge reads the region's own 低保 standard (温州 1,180): 20,000 a year is over it once counted
    assert _judge(units) == {1: False, 2: False}

    row = income_exclusion_set(user=None, scope="family_income", kind="basic_pension", region_code=TANGXIA,
                               excluded=False, effective_from=dt.date(2026, 1, 1), source_document="示例：塘下镇规定")  # fmt: skip
    assert (row.region_code, row.excluded, row.effective_to) == (TANGXIA, False, None)
    audit = AuditEvent.objects.filter(object_type="parameters.income_exclusion", object_id=str(row.pk)).get()
    assert audit.actor_id is None and "示例：塘下镇规定" in audit.summary

    assert counted(TANGXIA_VILLAGE) == "12000.00"
    assert counted(ANYANG_VILLAGE) == "0.00"
    assert counted(TANGXIA_VILLAGE, dt.date(2025, 12, 1)) == "0.00"
    assert _judge(units) == {1: True, 2: False}

    # a later version closes the row in force and restores the nationwide rule
    income_exclusion_set(user=None, scope="family_income", kind="basic_pension", region_code=TANGXIA,
                         excluded=True, effective_from=dt.date(2026, 10, 1), source_document="示例：塘下镇废止")  # fmt: skip
    assert IncomeExclusion.objects.get(pk=row.pk).effective_to == dt.date(2026, 10, 1)
    assert counted(TANGXIA_VILLAGE) == "0.00"
    assert counted(TANGXIA_VILLAGE, dt.date(2026, 9, 1)) == "12000.00"


@pytest.mark.django_db
def test_income_exclusion_set_refuses_what_it_does_not_know(assistance_standards, county_user):
    from django.core.exceptions import PermissionDenied, ValidationError

    from minzheng.foundation.audit.context import Actor, acting_as
    from minzheng.foundation.audit.models import AuditEvent
    from minzheng.foundation.parameters.services import income_exclusion_set

    base = {"scope": "family_income", "kind": "award", "region_code": TANGXIA, "excluded": False,
            "effective_from": dt.date(2027, 1, 1), "source_document": "示例"}  # fmt: skip
    for bad in ({"scope": "nope"}, {"kind": "salary"}, {"source_document": " "}, {"region_code": "999999999999"}):
        with pytest.raises(ValidationError):
            income_exclusion_set(user=None, **{**base, **bad})
    with pytest.raises(PermissionDenied):
        income_exclusion_set(user=county_user, **{**base, "region_code": ""})
    with acting_as(Actor(county_user.pk, county_user.username, "10.0.0.9", "web")):
        row = income_exclusion_set(user=county_user, **base)
    event = AuditEvent.objects.get(object_type="parameters.income_exclusion", object_id=str(row.pk))
    assert (event.actor_id, event.region_code, event.changes["after"]) == (
        county_user.pk, TANGXIA, {"excluded": False, "source_document": "示例"},
    )  # fmt: skip
    assert row.created_by == county_user

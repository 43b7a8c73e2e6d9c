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

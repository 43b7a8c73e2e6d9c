"""The household's means per income kind beside the split of the day they were saved (ADR 0017):
what the assessment page saves, what a write without kinds records, what adoption item by item
keeps — so the simulation can apply the exclusions of another date or region."""

from __future__ import annotations

import datetime as dt
import typing
from decimal import Decimal

import pytest

from minzheng.business.assistance.models import INCOME_FIELDS, INCOME_KINDS, HouseholdMeans
from minzheng.business.assistance.policy import FAMILY_INCOME, INCOME_LABELS
from minzheng.business.assistance.schemas import AssessmentIn, IncomeKind
from minzheng.business.assistance.services import household_means_save, household_means_write
from minzheng.foundation.parameters.services import income_exclusion_set
from tests.conftest import ANYANG

ON = dt.date(2027, 3, 1)


def test_a_column_per_income_kind():
    assert set(INCOME_KINDS) == set(INCOME_LABELS) == set(typing.get_args(IncomeKind))
    columns = {f.name for f in HouseholdMeans._meta.fields}
    assert set(INCOME_FIELDS.values()) <= columns


def _request(household, head, spouse) -> AssessmentIn:
    return AssessmentIn.model_validate({
        "region_code": household.region_code, "hukou_type": household.hukou_type, "as_of": ON.isoformat(),
        "members": [{"relation": "head", "birth_date": "1950-05-01"}, {"relation": "spouse", "birth_date": "1952-03-01"},
                    {"relation": "child", "birth_date": "1990-01-01", "counted": False, "not_counted_reason": "not_living_together"}],
        "incomes": [{"member": 0, "kind": "wages", "annual_amount": "6000"},
                    {"member": 0, "kind": "longevity_allowance", "annual_amount": "1200"},
                    {"member": 1, "kind": "basic_pension", "annual_amount": "1800"},
                    {"member": 1, "kind": "assistance", "annual_amount": "2400"},
                    {"member": 2, "kind": "transfer", "annual_amount": "9999"}],
    })  # fmt: skip


@pytest.mark.django_db
def test_saved_per_kind_beside_the_split_of_the_region_rules(household_in, anyang_user, assistance_standards):
    household, head, spouse = household_in
    # 安阳街道 counts 救助款物 from 2027-01 (its own rule): the split follows it, the kinds do not change
    income_exclusion_set(user=None, scope=FAMILY_INCOME, kind="assistance", region_code=ANYANG, excluded=False,
                         effective_from=dt.date(2027, 1, 1), source_document="测试")  # fmt: skip
    means = household_means_save(user=anyang_user, household=household, request=_request(household, head, spouse))
    means.refresh_from_db()
    assert means.incomes_by_kind
    kinds = {k: getattr(means, f) for k, f in INCOME_FIELDS.items() if getattr(means, f)}
    # the member not counted (the child) is left out, as the assessment leaves them out
    assert kinds == {"wages": 6000, "longevity_allowance": 1200, "basic_pension": 1800, "assistance": 2400}
    assert (means.wages_annual, means.other_income_annual, means.excluded_income_annual) == (6000, 3600, 1800)


@pytest.mark.django_db
def test_a_write_without_kinds_records_them_as_unknown_and_kinds_must_add_up(household_in, anyang_user):
    household = household_in[0]
    split = {"wages_annual": Decimal(100), "other_income_annual": Decimal(50), "excluded_income_annual": Decimal(25),
             "rigid_expense_annual": Decimal(0), "financial_assets": Decimal(0), "houses": 0,
             "non_residential_houses": 0, "vehicles": 0, "business_registrations": 0, "has_able_supporter": None}  # fmt: skip
    means = household_means_write(user=anyang_user, household=household, values=split, as_of=ON, source="declared")
    means.refresh_from_db()
    assert not means.incomes_by_kind and all(getattr(means, f) == 0 for f in INCOME_FIELDS.values())
    kinds = {"incomes_by_kind": True, **dict.fromkeys(INCOME_FIELDS.values(), Decimal(0)),
             "income_wages": Decimal(100), "income_transfer": Decimal(50), "income_award": Decimal(24)}  # fmt: skip
    with pytest.raises(ValueError, match="不一致"):
        household_means_write(user=anyang_user, household=household, values={**split, **kinds}, as_of=ON,
                              source="declared")  # fmt: skip
    kinds["income_award"] = Decimal(25)
    means = household_means_write(user=anyang_user, household=household, values={**split, **kinds}, as_of=ON,
                                  source="declared")  # fmt: skip
    means.refresh_from_db()
    assert means.incomes_by_kind and means.income_award == 25


@pytest.mark.django_db(transaction=True)
def test_migration_marks_as_known_only_the_kinds_old_rows_tell(household_in, anyang_user, ids):
    """Old means say of which kinds their income is only when it is all wages; the others keep
    their split as saved, kinds unknown (nothing guessed)."""
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    from minzheng.foundation.registry import services

    data = {"name": "张三", "id_number": ids(), "hukou_type": "urban", "region_code": household_in[0].region_code}
    other = services.household_create(
        user=anyang_user, head=services.person_create(user=anyang_user, data=data), members=[],
        data={"region_code": data["region_code"], "hukou_type": "urban", "address": "安阳路2号"},
    )  # fmt: skip

    before = [("assistance", "0002_income_exclusions")]
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    try:
        old = executor.loader.project_state(before[0]).apps.get_model("assistance", "HouseholdMeans")
        common = {"as_of": ON, "source": "declared", "hukou_type": "urban", "rigid_expense_annual": 0}
        wages_only = old.objects.create(household_id=household_in[0].pk, region_code=household_in[0].region_code,
                                        wages_annual=Decimal("12000.50"), other_income_annual=0,
                                        excluded_income_annual=0, **common)  # fmt: skip
        mixed = old.objects.create(household_id=other.pk, region_code=other.region_code,
                                   wages_annual=Decimal(6000), other_income_annual=Decimal(2400),
                                   excluded_income_annual=Decimal(1800), **common)  # fmt: skip
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())
    known, unknown = HouseholdMeans.objects.get(pk=wages_only.pk), HouseholdMeans.objects.get(pk=mixed.pk)
    assert known.incomes_by_kind and known.income_wages == Decimal("12000.50")
    assert not unknown.incomes_by_kind and all(getattr(unknown, f) == 0 for f in INCOME_FIELDS.values())
    assert (unknown.other_income_annual, unknown.excluded_income_annual) == (2400, 1800)

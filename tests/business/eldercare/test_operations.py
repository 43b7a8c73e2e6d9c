"""Prepaid fees within the standards' limits (breaches alert the county), the append-only custody
ledger, incidents with their time limits as data, 公建民营 contracts, care workers and competitions."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone
from hypothesis import given, settings
from hypothesis import strategies as st

from minzheng.business.eldercare import selectors, services
from minzheng.business.eldercare.models import CustodyEntry, PrepaidBreach
from minzheng.foundation.notify.models import Message
from minzheng.foundation.parameters.services import standard_set
from minzheng.foundation.validation import Refused
from tests.business.eldercare.homes import home_make
from tests.conftest import ANYANG, ANYANG_VILLAGE, RUIAN

pytestmark = pytest.mark.django_db


@pytest.fixture
def home_with_resident(elder_staff, household_in):
    _household, head, spouse = household_in
    home = home_make(elder_staff["county"], ANYANG_VILLAGE, nature="private", level="other")
    a = services.admission_record(user=elder_staff["county"], supervised=home, person=head, monthly_fee="3000",
                                  admitted_on=timezone.localdate() - dt.timedelta(days=30))  # fmt: skip
    return home, a, spouse


def test_prepaid_within_the_nationwide_limits_raises_nothing(elder_staff, home_with_resident):
    home, a, _ = home_with_resident
    report = services.prepaid_report(user=elder_staff["county"], supervised=home,
                                     lines=[{"admission": a, "prepaid_balance": "36000", "deposit": "36000"}])  # fmt: skip
    line = report.lines.get()
    assert (line.prepaid_limit, line.deposit_limit) == (Decimal("36000.00"), Decimal("36000.00"))  # 12 × 3,000
    assert report.breaches == 0 and not PrepaidBreach.objects.exists()


def test_a_breach_alerts_the_county_and_a_stricter_county_standard_applies_from_its_day(
    elder_staff, home_with_resident, make_user
):
    home, a, _ = home_with_resident
    township = make_user("e_anyang", ("approver", ANYANG))  # a township office is not alerted
    today = timezone.localdate()
    standard_set(user=None, key="eldercare_prepaid_max_months", region_code=RUIAN, value="6",
                 effective_from=today, source_document="瑞安市养老机构预收费管理办法（示例）")  # fmt: skip
    report = services.prepaid_report(user=elder_staff["county"], supervised=home,
                                     lines=[{"admission": a, "prepaid_balance": "20000", "deposit": "36000.01"}])  # fmt: skip
    kinds = {b.kind: b for b in PrepaidBreach.objects.filter(line__report=report)}
    assert set(kinds) == {"prepaid", "deposit"}
    assert kinds["prepaid"].limit == Decimal("18000.00") and "瑞安市" in kinds["prepaid"].basis
    assert "指导意见" in kinds["deposit"].basis
    alerted = Message.objects.filter(related_type="eldercare.prepaidreport", related_id=str(report.pk))
    assert elder_staff["county"].pk in set(alerted.values_list("recipient_id", flat=True))
    assert township.pk not in set(alerted.values_list("recipient_id", flat=True))
    # the day before the county's own standard, the nationwide 12 months held
    yesterday = services.prepaid_report(user=elder_staff["county"], supervised=home, as_of=today - dt.timedelta(days=1),
                                        lines=[{"admission": a, "prepaid_balance": "20000", "deposit": "0"}])  # fmt: skip
    assert yesterday.breaches == 0
    assert selectors.breaches_for(elder_staff["county"]).count() == 2


class _Std:
    """The standards view with the months and the multiple under test (no database)."""

    def __init__(self, months, multiple):
        self.values = {
            "eldercare_prepaid_max_months": Decimal(months),
            "eldercare_deposit_max_multiple": Decimal(multiple),
        }

    def decimal(self, key, mode=""):
        return self.values[key]

    def row(self, key, mode=""):
        return None


@settings(max_examples=60, deadline=None)
@given(fee=st.decimals(min_value=0, max_value=20000, places=2), months=st.integers(min_value=0, max_value=30),
       multiple=st.integers(min_value=0, max_value=24))  # fmt: skip
def test_prepaid_limits_are_the_fee_times_the_standards(fee, months, multiple):
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(services, "standards_for", lambda **kw: _Std(months, multiple))
        limits = services.prepaid_limits(region_code=RUIAN, as_of=dt.date(2025, 1, 1), monthly_fee=fee)
    assert limits["prepaid"] == (fee * months).quantize(Decimal("0.01"))
    assert limits["deposit"] == (fee * multiple).quantize(Decimal("0.01"))


def test_prepaid_lines_are_checked(elder_staff, home_with_resident):
    home, a, _spouse = home_with_resident
    other = home_make(elder_staff["county"], ANYANG_VILLAGE)
    with pytest.raises(ValidationError, match="不是本机构的入住老人"):
        services.prepaid_report(user=elder_staff["county"], supervised=other, lines=[{"admission": a}])
    with pytest.raises(ValidationError, match="不能为负数"):
        services.prepaid_report(user=elder_staff["county"], supervised=home,
                                lines=[{"admission": a, "prepaid_balance": "-1", "deposit": "0"}])  # fmt: skip


def test_the_custody_ledger_is_append_only_and_never_below_zero(elder_staff, home_with_resident):
    home, a, _ = home_with_resident
    u = elder_staff["county"]
    services.custody_book(user=u, supervised=home, kind="prepaid_in", amount="9000", admission=a)
    services.custody_book(user=u, supervised=home, kind="deposit_in", amount="3000", admission=a)
    e = services.custody_book(user=u, supervised=home, kind="drawdown", amount="3000", admission=a)
    assert (e.seq, e.balance_after) == (3, Decimal("9000.00"))
    with pytest.raises(Refused, match="余额不足"):
        services.custody_book(user=u, supervised=home, kind="refund", amount="9000.01")
    with pytest.raises(ValueError, match="只能追加"):
        e.note = "改"
        e.save()
    assert list(selectors.custody_ledger(home).values_list("balance_after", flat=True)) == [
        Decimal("9000.00"), Decimal("12000.00"), Decimal("9000.00")]  # fmt: skip
    assert CustodyEntry.objects.count() == 3


def test_incident_time_limits_come_from_the_standards_and_closing_needs_handling(elder_staff, home_with_resident):
    home, _a, _ = home_with_resident
    u = elder_staff["county"]
    now = timezone.now()
    standard_set(user=None, key="eldercare_incident_handle_days", region_code=RUIAN, value="3",
                 effective_from=timezone.localdate() - dt.timedelta(days=2), source_document="瑞安市（示例）")  # fmt: skip
    i = services.incident_report(user=u, supervised=home, kind="injury", description="老人夜间跌倒",
                                 occurred_at=now - dt.timedelta(hours=3), reported_at=now)  # fmt: skip
    assert i.reported_late  # 2 hours nationwide
    assert i.handle_due == timezone.localdate(now) + dt.timedelta(days=3)
    assert i.close_due == timezone.localdate(now) + dt.timedelta(days=30)
    with pytest.raises(Refused, match="须先登记处置"):
        services.incident_close(user=u, incident=i, conclusion="结案")
    services.incident_handle(user=u, incident=i, handling="已送医")
    i = services.incident_close(user=u, incident=i, conclusion="已康复，落实夜间巡查")
    assert i.state == "closed" and i.closed_on == timezone.localdate()
    assert not selectors.incidents_overdue(u, on=timezone.localdate() + dt.timedelta(days=40)).exists()


def test_contracts_only_for_public_private_homes(elder_staff):
    u = elder_staff["county"]
    home = home_make(u, ANYANG_VILLAGE, nature="tekun")
    with pytest.raises(ValidationError, match="公建民营"):
        services.contract_record(user=u, supervised=home, operator_name="某养老服务公司", number="GJ-1",
                                 signed_on="2024-01-01", starts_on="2024-01-01", ends_on="2028-12-31", annual_fee="1")  # fmt: skip
    home = home_make(u, ANYANG_VILLAGE, nature="public_private", level="county")
    c = services.contract_record(user=u, supervised=home, operator_name="某养老服务公司", number="GJ-1",
                                 signed_on="2024-01-01", starts_on="2024-01-01", ends_on="2028-12-31",
                                 annual_fee="120000")  # fmt: skip
    services.contract_review_record(
        user=u, contract=c, year=2024, score="88.5", result="pass", reviewed_on="2025-01-10"
    )
    with pytest.raises(ValidationError, match="已考核"):
        services.contract_review_record(user=u, contract=c, year=2024, score="90", result="pass")
    with pytest.raises(ValidationError, match="合同期限内"):
        services.contract_review_record(user=u, contract=c, year=2030, score="90", result="pass")


def test_beds_by_type_never_exceed_the_total(elder_staff):
    u = elder_staff["county"]
    with pytest.raises(ValidationError, match="不能多于床位总数"):
        home_make(u, ANYANG_VILLAGE, beds=(10, 11, 0, 0))
    home = home_make(u, ANYANG_VILLAGE, beds=(10, 5, 0, 0))
    with pytest.raises(ValidationError, match="不能多于床位总数"):
        services.care_home_attributes_set(user=u, supervised=home, values={"beds_total": 4})
    services.care_home_attributes_set(user=u, supervised=home, values={"beds_total": 20, "beds_nursing": 15},
                                      reason="扩建")  # fmt: skip
    values = {a.code: v for a, v, _ in selectors.home_attributes(home)}
    assert values["beds_total"] == 20 and values["beds_nursing"] == 15
    assert selectors.attribute_history(home).filter(code="beds_total").count() == 2


def test_competition_ranking_shares_ranks_on_equal_scores(elder_staff, ids):
    from minzheng.foundation.registry.services import person_create

    u = elder_staff["county"]
    home = home_make(u, ANYANG_VILLAGE)
    workers = []
    for i, name in enumerate(("甲护理", "乙护理", "丙护理")):
        p = person_create(user=None, data={"name": name, "id_number": ids(birth=dt.date(1980 + i, 1, 1)),
                                           "hukou_type": "urban", "region_code": ANYANG_VILLAGE})  # fmt: skip
        workers.append(services.worker_register(user=u, supervised=home, person=p, certificate_level="4"))
    head = services.worker_register(user=u, supervised=home, person=workers[0].person, role="head")
    with pytest.raises(ValidationError, match="机构负责人培训只登记给机构负责人"):
        services.training_record(user=u, worker=workers[1], kind="head", title="负责人培训", hours="16")
    services.training_record(user=u, worker=head, kind="head", title="养老机构负责人培训", hours="24")
    c = services.competition_create(user=u, region_code=RUIAN, name="瑞安市养老护理职业技能竞赛", held_on="2025-10-01")
    for w, score in zip(workers, ("92", "95", "92"), strict=True):
        services.competition_score(user=u, competition=c, worker=w, score=score)
    with pytest.raises(ValidationError, match="成绩应在"):
        services.competition_score(user=u, competition=c, worker=workers[0], score="101")
    rows = selectors.ranking(c)
    assert [(r["name"], r["rank"]) for r in rows] == [("乙护理", 1), ("甲护理", 2), ("丙护理", 2)]

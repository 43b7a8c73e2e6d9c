"""Benefits engine: standards as time-versioned data, enrollments and their history, reviews."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from hypothesis import given
from hypothesis import strategies as st

from minzheng.engines.benefits import services as svc
from minzheng.engines.benefits.models import (
    CycleState,
    Enrollment,
    PaymentCycle,
    Program,
)
from minzheng.foundation.audit.models import AuditEvent
from minzheng.foundation.parameters.models import Standard
from minzheng.foundation.parameters.services import standard_set
from minzheng.foundation.parameters.standards import ancestor_codes, standards_for
from tests.conftest import ANYANG, ANYANG_VILLAGE, RUIAN, TANGXIA_VILLAGE

D = dt.date


def dibao(code: str, on: D, hukou: str = "urban") -> Decimal:
    return standards_for(region_code=code, hukou_type=hukou, as_of=on).decimal("dibao_monthly")


# ------------------------------------------------------------------ standards


def test_ancestor_codes_most_specific_first():
    assert ancestor_codes("330381001001") == [
        "330381001001", "330381001000", "330381000000", "330300000000", "330000000000", "",
    ]  # fmt: skip
    assert ancestor_codes("330381000000") == ["330381000000", "330300000000", "330000000000", ""]


@pytest.mark.django_db
def test_most_specific_region_and_hukou_win(assistance_standards):
    on = D(2026, 11, 1)
    assert dibao(ANYANG_VILLAGE, on) == 1180  # 温州市 row inherited
    standard_set(user=None, key="dibao_monthly", region_code=RUIAN, value="1200", effective_from=D(2026, 1, 1))
    standard_set(user=None, key="dibao_monthly", region_code=ANYANG, hukou_type="rural", value="1210",
                     effective_from=D(2026, 1, 1))  # fmt: skip
    assert dibao(ANYANG_VILLAGE, on) == 1200  # county beats city
    assert dibao(ANYANG_VILLAGE, on, "rural") == 1210  # township beats county
    assert dibao(TANGXIA_VILLAGE, on, "rural") == 1200
    assert dibao(ANYANG_VILLAGE, D(2025, 12, 31)) == 1180  # before the county row started


@pytest.mark.django_db
def test_a_new_version_closes_the_old_one_and_keeps_history(assistance_standards, county_user):
    standard_set(user=county_user, key="dibao_monthly", region_code=RUIAN, value="1250",
                     effective_from=D(2027, 1, 1), source_document="瑞政〔2026〕1号")  # fmt: skip
    standard_set(user=county_user, key="dibao_monthly", region_code=RUIAN, value="1200",
                     effective_from=D(2026, 7, 1))  # fmt: skip
    rows = list(Standard.objects.filter(key="dibao_monthly", region_code=RUIAN).order_by("effective_from"))
    assert [(r.effective_from, r.effective_to, r.value) for r in rows] == [
        (D(2026, 7, 1), D(2027, 1, 1), Decimal("1200")),  # entered later, ends where the later version starts
        (D(2027, 1, 1), None, Decimal("1250")),
    ]
    assert dibao(ANYANG_VILLAGE, D(2026, 12, 31)) == 1200 and dibao(ANYANG_VILLAGE, D(2027, 1, 1)) == 1250
    # correcting a version in place is audited with before and after
    standard_set(user=county_user, key="dibao_monthly", region_code=RUIAN, value="1260",
                     effective_from=D(2027, 1, 1))  # fmt: skip
    event = AuditEvent.objects.filter(object_type="benefits.standard").order_by("-seq").first()
    assert event.action == "update" and event.changes["before"]["value"] == "1250.0000"
    assert event.actor_name == "" or event.region_code == RUIAN


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"key": "nonsense", "value": "1"}, "key"),
        ({"key": "dibao_monthly", "value": "-1"}, "value"),
        ({"key": "dibao_monthly", "value": "abc"}, "value"),
        ({"key": "employment_cost_rate", "value": "10"}, "value"),
        ({"key": "rounding", "value": "up"}, "value"),
        ({"key": "tekun_care_monthly", "value": "300"}, "mode"),
        ({"key": "houses_allowed", "value": "1.5"}, "value"),
        ({"key": "dibao_monthly", "value": "1", "region_code": "330381999999"}, "region_code"),
    ],
)
def test_bad_standard_is_refused_and_changes_nothing(assistance_standards, kwargs, field):
    before = Standard.objects.count()
    with pytest.raises(ValidationError) as exc:
        standard_set(user=None, **{"region_code": RUIAN, "effective_from": D(2027, 1, 1), **kwargs})
    assert field in exc.value.message_dict
    assert Standard.objects.count() == before


@pytest.mark.django_db
def test_only_standards_managers_of_the_region_may_set(assistance_standards, anyang_user, county_user):
    with pytest.raises(PermissionDenied):
        standard_set(user=anyang_user, key="dibao_monthly", region_code=ANYANG, value="1", effective_from=D(2027, 1, 1))
    with pytest.raises(PermissionDenied):  # nationwide defaults: superusers only
        standard_set(user=county_user, key="edge_multiple", region_code="", value="2", effective_from=D(2027, 1, 1))
    standard_set(user=county_user, key="dibao_monthly", region_code=ANYANG, value="1", effective_from=D(2027, 1, 1))


@pytest.mark.django_db
def test_standards_cli_list_and_set(assistance_standards, capsys):
    call_command("standards", "set", "dibao_monthly", "1250", "--region", "330381", "--from", "2027-01-01",
                 "--source", "瑞政〔2026〕1号")  # fmt: skip
    assert json.loads(capsys.readouterr().out)["value"] == "1250"
    call_command("standards", "list", "--region", ANYANG_VILLAGE, "--date", "2027-02-01", "--json")
    rows = {(r["key"], r["mode"]): r for r in json.loads(capsys.readouterr().out)}
    assert rows[("dibao_monthly", "")]["value"] == "1250" and rows[("dibao_monthly", "")]["region_code"] == RUIAN
    assert rows[("edge_multiple", "")]["value"] == "1.5" and rows[("edge_multiple", "")]["region_code"] == "全国"
    with pytest.raises(CommandError, match="取值须为"):
        call_command("standards", "set", "rounding", "up", "--region", "330381", "--from", "2027-01-01")


# ------------------------------------------------------------------ enrollments


@pytest.fixture
def enrolled(assistance_standards, household_in, anyang_user):
    household, _head, _spouse = household_in
    return svc.enrollment_create(
        user=anyang_user, program="dibao", household=household, monthly_amount="860.5", persons_covered=2,
        components=[{"item": "gap", "amount": "860.5"}], start_month=D(2026, 12, 1),
    )  # fmt: skip


@pytest.mark.django_db
def test_enrol_numbers_history_and_audit(enrolled):
    e = enrolled
    assert e.number == "DB-330381-000001" and e.state == "active" and e.monthly_amount == Decimal("860.50")
    assert e.next_review == D(2027, 12, 1)  # class B: yearly
    assert list(e.events.values_list("kind", "effective_month")) == [("enrol", D(2026, 12, 1))]
    assert AuditEvent.objects.filter(object_type="benefits.enrollment", object_id=str(e.pk), action="create").exists()


@pytest.mark.django_db
def test_enrolling_twice_is_refused(enrolled, anyang_user):
    with pytest.raises(svc.Refused, match="已在低保保障中"):
        svc.enrollment_create(user=anyang_user, program="dibao", household=enrolled.household,
                              monthly_amount=1, persons_covered=2)  # fmt: skip


@pytest.mark.django_db
def test_another_township_cannot_enrol_or_change(enrolled, tangxia_user, household_in):
    with pytest.raises(PermissionDenied):
        svc.enrollment_change(user=tangxia_user, enrollment=enrolled, kind="suspend", reason="other")
    assert Enrollment.objects.for_user(tangxia_user, "benefits.view").count() == 0


@pytest.mark.django_db
def test_illegal_transition_is_refused_and_explained(enrolled, anyang_user):
    with pytest.raises(svc.Refused) as exc:
        svc.enrollment_change(user=anyang_user, enrollment=enrolled, kind="resume", effective_month=D(2027, 1, 1))
    assert "在保" in str(exc.value.message) and "暂停" in str(exc.value.message)
    with pytest.raises(ValidationError, match="须注明原因"):
        svc.enrollment_change(user=anyang_user, enrollment=enrolled, kind="exit", effective_month=D(2027, 1, 1))
    assert enrolled.events.count() == 1


@pytest.mark.django_db
def test_changes_take_effect_from_a_month_and_cannot_be_backdated(enrolled, anyang_user):
    svc.enrollment_change(user=anyang_user, enrollment=enrolled, kind="suspend", reason="refused_cooperation",
                          effective_month=D(2027, 2, 1))  # fmt: skip
    with pytest.raises(svc.Refused, match="不能倒签"):
        svc.enrollment_change(user=anyang_user, enrollment=enrolled, kind="resume", effective_month=D(2027, 1, 1))
    svc.enrollment_change(user=anyang_user, enrollment=enrolled, kind="resume", effective_month=D(2027, 4, 1))
    svc.enrollment_change(user=anyang_user, enrollment=enrolled, kind="exit", reason="moved_away",
                          effective_month=D(2027, 6, 1))  # fmt: skip
    enrolled.refresh_from_db()
    assert enrolled.state == "exited" and enrolled.end_month == D(2027, 6, 1) and enrolled.next_review is None
    history = list(enrolled.events.values_list("kind", "state", "effective_month"))
    assert history == [
        ("enrol", "active", D(2026, 12, 1)),
        ("suspend", "suspended", D(2027, 2, 1)),
        ("resume", "active", D(2027, 4, 1)),
        ("exit", "exited", D(2027, 6, 1)),
    ]
    with pytest.raises(svc.Refused, match="已退出"):
        svc.enrollment_change(user=anyang_user, enrollment=enrolled, kind="amount", monthly_amount=1)


@pytest.mark.django_db
def test_a_month_with_approved_payment_is_frozen(enrolled, anyang_user):
    PaymentCycle.objects.create(program=Program.objects.get(code="dibao"), month=D(2027, 1, 1), region_code=RUIAN,
                                state=CycleState.APPROVED)  # fmt: skip
    with pytest.raises(svc.Refused, match="2027年01月的发放已审批"):
        svc.enrollment_change(user=anyang_user, enrollment=enrolled, kind="amount", monthly_amount="900",
                              effective_month=D(2027, 1, 1))  # fmt: skip
    svc.enrollment_change(user=anyang_user, enrollment=enrolled, kind="amount", monthly_amount="900",
                          effective_month=D(2027, 2, 1))  # fmt: skip


@pytest.mark.django_db
def test_phase_out_example_3(enrolled, anyang_user):
    """Domain sheet example 3: confirmed 2025-08-14 → phase-out Sep … Feb, reminder 30 days before."""
    svc.enrollment_change(user=anyang_user, enrollment=enrolled, kind="phase_out", reason="income_over_line",
                          effective_month=svc.next_month(D(2026, 12, 14)))  # fmt: skip
    enrolled.refresh_from_db()
    assert enrolled.state == "phase_out"
    assert enrolled.phase_out_until == D(2027, 6, 30)  # Jan … Jun = 6 months
    assert enrolled.monthly_amount == Decimal("860.50")  # demo share 1.0
    assert svc.phase_out_expire(month=D(2027, 7, 1)) == 1
    enrolled.refresh_from_db()
    assert enrolled.state == "exited" and enrolled.last_event.reason == "phase_out_ended"
    assert svc.phase_out_expire(month=D(2027, 7, 1)) == 0  # idempotent


@pytest.mark.django_db
def test_phase_out_share_is_configurable(enrolled, anyang_user):
    standard_set(user=None, key="phase_out_amount_share", region_code=RUIAN, value="0.5", effective_from=D(2026, 1, 1))
    standard_set(user=None, key="phase_out_months", region_code=RUIAN, value="3", effective_from=D(2026, 1, 1))
    svc.enrollment_change(user=anyang_user, enrollment=enrolled, kind="phase_out", reason="income_over_line",
                          effective_month=D(2027, 1, 1))  # fmt: skip
    enrolled.refresh_from_db()
    assert enrolled.monthly_amount == Decimal("430.25") and enrolled.phase_out_until == D(2027, 3, 31)


@pytest.mark.django_db
def test_review_outcomes_and_cadence(enrolled, anyang_user):
    review = svc.enrollment_review(user=anyang_user, enrollment=enrolled, outcome="amount_changed",
                                   new_amount="700", review_class="C", reviewed_on=D(2027, 3, 10))  # fmt: skip
    enrolled.refresh_from_db()
    assert review.due_date == D(2027, 12, 1) and review.event.kind == "amount"
    assert enrolled.monthly_amount == Decimal("700.00") and review.event.effective_month == D(2027, 4, 1)
    assert enrolled.review_class == "C" and enrolled.next_review == D(2027, 6, 10)  # urban C: quarterly
    with pytest.raises(ValidationError, match="新的月金额"):
        svc.enrollment_review(
            user=anyang_user, enrollment=enrolled, outcome="amount_changed", reviewed_on=D(2027, 6, 1)
        )


@pytest.mark.django_db
def test_head_dies_old_closes_new_continues_the_chain(enrolled, anyang_user, household_in):
    household, head, spouse = household_in
    with pytest.raises(ValidationError, match="新户主不能是原户主"):
        svc.enrollment_succeed(user=anyang_user, enrollment=enrolled, new_head=head)
    new = svc.enrollment_succeed(user=anyang_user, enrollment=enrolled, new_head=spouse)
    enrolled.refresh_from_db()
    assert enrolled.state == "exited" and enrolled.last_event.kind == "transfer_out"
    assert new.predecessor == enrolled and new.state == "active" and new.number != enrolled.number
    assert new.events.get().kind == "transfer_in" and new.monthly_amount == enrolled.monthly_amount
    household.refresh_from_db()
    assert household.head == spouse


@given(st.dates(D(2000, 1, 1), D(2090, 12, 31)), st.integers(0, 240))
def test_add_months_stays_in_the_target_month_and_never_overshoots(day, months):
    out = svc.add_months(day, months)
    assert (out.year * 12 + out.month) - (day.year * 12 + day.month) == months
    assert out.day == day.day or (out.day < day.day and (out + dt.timedelta(days=1)).day == 1)


# ------------------------------------------------------------------ API


@pytest.fixture
def bearer(client):
    def token_for(username):
        from tests.conftest import PASSWORD

        r = client.post(
            "/api/v1/auth/token", {"username": username, "password": PASSWORD}, content_type="application/json"
        )
        return {"HTTP_AUTHORIZATION": f"Bearer {r.json()['token']}"}

    return token_for


@pytest.mark.django_db
def test_api_enrollments_are_scoped_and_carry_their_history(enrolled, tangxia_user, anyang_user, client, bearer):
    svc.enrollment_change(user=anyang_user, enrollment=enrolled, kind="amount", monthly_amount="900",
                          reason="", effective_month=D(2027, 1, 1))  # fmt: skip
    mine = bearer("anyang")
    r = client.get("/api/v1/assistance/enrollments?program=dibao", **mine)
    assert r.status_code == 200 and r.json()["count"] == 1
    item = r.json()["items"][0]
    assert item["number"] == enrolled.number and item["monthly_amount"] == "900.00" and item["head_name"] == "王建国"
    r = client.get(f"/api/v1/assistance/enrollments/{enrolled.pk}", **mine)
    assert [e["kind"] for e in r.json()["events"]] == ["enrol", "amount"]
    other = bearer("tangxia")
    assert client.get("/api/v1/assistance/enrollments", **other).json()["count"] == 0
    assert client.get(f"/api/v1/assistance/enrollments/{enrolled.pk}", **other).status_code == 404


@pytest.mark.django_db
def test_api_standards_in_force(assistance_standards, anyang_user, client, bearer):
    r = client.get(f"/api/v1/assistance/standards?region_code={ANYANG_VILLAGE}&as_of=2026-11-01", **bearer("anyang"))
    rows = {(x["key"], x["mode"]): x for x in r.json()}
    assert (
        rows[("dibao_monthly", "")]["value"] == "1180" and rows[("dibao_monthly", "")]["region_code"] == "330300000000"
    )
    assert rows[("rounding", "")]["value"] == "round_fen"
    r = client.get("/api/v1/assistance/standards?region_code=330381101009", **bearer("anyang"))
    assert r.status_code == 403
    r = client.get("/api/v1/assistance/standards?region_code=999", **bearer("anyang"))
    assert r.status_code == 422 and "不存在" in r.json()["errors"]["region_code"]


@pytest.mark.django_db
def test_member_leaves_roll_and_registry_change_together(enrolled, anyang_user, household_in):
    _household, _head, spouse = household_in
    ev = svc.enrollment_member_change(user=anyang_user, enrollment=enrolled, remove=spouse, reason="death",
                                      monthly_amount="500", effective_month=D(2027, 1, 1))  # fmt: skip
    enrolled.refresh_from_db()
    assert ev.kind == "member" and enrolled.persons_covered == 1 and enrolled.monthly_amount == Decimal("500.00")
    assert not enrolled.household.memberships.filter(person=spouse, valid_to__isnull=True).exists()
    # a refused change leaves the registry untouched too (one transaction)
    before = enrolled.household.memberships.count()
    svc.enrollment_change(user=anyang_user, enrollment=enrolled, kind="exit", reason="moved_away",
                          effective_month=D(2027, 2, 1))  # fmt: skip
    with pytest.raises(svc.Refused):
        svc.enrollment_member_change(user=anyang_user, enrollment=enrolled, add=spouse, relation="spouse",
                                     monthly_amount="900")  # fmt: skip
    assert enrolled.household.memberships.count() == before

"""Monitoring engine: idempotent runs over partner batches, numbering, deadlines and township
messages, the four ways of handling (a review case opened for 复核认定), refusals, scoping, audit,
the job, the schedule and the ``minzheng monitor`` command."""

from __future__ import annotations

import datetime as dt
import io
import json

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from minzheng.engines.cases.models import Case
from minzheng.engines.monitoring import selectors
from minzheng.engines.monitoring.models import Alert, AlertHandling, MonitoringRule
from minzheng.engines.monitoring.services import (
    alert_handle,
    alert_referral_answer,
    monitoring_run,
    rule_set,
    rules_due,
)
from minzheng.foundation.audit.models import AuditEvent
from minzheng.foundation.calendar.services import add_working_days
from minzheng.foundation.jobs.models import JobState
from minzheng.foundation.jobs.services import job_run
from minzheng.foundation.notify.models import Message
from minzheng.foundation.validation import Refused
from tests.conftest import ANYANG, TANGXIA, TANGXIA_VILLAGE
from tests.engines.monitoring import test_monitoring_rules as base
from tests.engines.monitoring.test_monitoring_rules import alerts, load, today

D = dt.date


@pytest.fixture(autouse=True)
def _var_dir(settings, tmp_path):
    settings.VAR_DIR = tmp_path / "var"
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def world(assistance_standards, make_user, county_user):
    return base.World(make_user("staff_all", ("acceptor", "330381000000")), county_user)


def vehicle(world, person, plate="浙C12345", on=None):
    return {"id_number": world.id(person), "name": person.name, "plate_no": plate, "vehicle_type": "small_passenger",
            "registered_on": on or today() - dt.timedelta(days=10), "status": "normal"}  # fmt: skip


@pytest.fixture
def car_family(world):
    """A family on 低保 in 安阳 with a car registered after enrolment, in the current vehicle batch."""
    h, (a, b), _ = world.family("孙一", "周二")
    load("vehicle", [vehicle(world, a)])
    return h, a, b


# ---------------------------------------------------------------- idempotency


@pytest.mark.django_db
def test_rerun_and_new_batch_with_same_evidence_raise_nothing_new_evidence_does(world, car_family):
    _h, a, b = car_family
    first = monitoring_run(rules=["new_vehicle"])
    assert first == {"alerts_new": 1, "alerts_open": 1, "by_rule": {"new_vehicle": 1}}
    assert monitoring_run(rules=["new_vehicle"])["alerts_new"] == 0  # unchanged data
    load("vehicle", [vehicle(world, a)])  # the partner sends the same snapshot again: a new batch
    assert monitoring_run(rules=["new_vehicle"])["alerts_new"] == 0
    load("vehicle", [vehicle(world, a), vehicle(world, b, plate="浙C77777")])  # a second car
    again = monitoring_run(rules=["new_vehicle"])
    assert again == {"alerts_new": 1, "alerts_open": 2, "by_rule": {"new_vehicle": 1}}
    assert Alert.objects.filter(rule_id="new_vehicle").count() == 2


@pytest.mark.django_db
def test_closed_alert_is_not_raised_again_while_the_evidence_stands(world, car_family, anyang_user):
    monitoring_run(rules=["new_vehicle"])
    (alert,) = alerts("new_vehicle")
    alert_handle(user=anyang_user, alert=alert, way="deliver", note="车辆系残疾人代步车，已核实", closes=True)
    load("vehicle", [vehicle(world, car_family[1])])
    result = monitoring_run(rules=["new_vehicle"])
    assert result == {"alerts_new": 0, "alerts_open": 0, "by_rule": {"new_vehicle": 0}}


@pytest.mark.django_db
def test_alert_fields_numbers_due_and_one_message_per_township(world, car_family, anyang_user, tangxia_user):
    _h, a, _ = car_family
    _, (t1,), _ = world.family("塘下人", region=TANGXIA_VILLAGE)
    _, (t2,), _ = world.family("塘下人二", region=TANGXIA_VILLAGE)
    load("vehicle", [vehicle(world, a), vehicle(world, t1, "浙C10001"), vehicle(world, t2, "浙C10002")])
    before = Message.objects.count()
    result = monitoring_run(rules=["new_vehicle"])
    assert result["alerts_new"] == 3
    got = list(Alert.objects.order_by("number"))
    year = timezone.localdate().year
    assert all(x.number.startswith(f"YJ{year}") for x in got) and len({x.number for x in got}) == 3
    assert {x.office_code for x in got} == {ANYANG, TANGXIA}
    assert all(x.due == add_working_days(today(), 15) for x in got)  # the rule's 15 working days
    assert all(x.state == "open" and x.severity == "medium" for x in got)
    # one in-app message per township and run (each township has one user with monitoring.handle)
    msgs = list(Message.objects.order_by("pk")[before:])
    assert sorted((m.recipient.username, m.region_code) for m in msgs) == [
        ("anyang", ANYANG), ("tangxia", TANGXIA)]  # fmt: skip
    assert "2 条" in next(m.body for m in msgs if m.region_code == TANGXIA)
    assert AuditEvent.objects.filter(action="run", object_type="monitoring.run").count() == 1
    assert MonitoringRule.objects.get(code="new_vehicle").last_run_at is not None


@pytest.mark.django_db
def test_region_prefix_and_run_permission(world, car_family, county_user, anyang_user, make_user):
    _, (t1,), _ = world.family("塘下人", region=TANGXIA_VILLAGE)
    load("vehicle", [vehicle(world, car_family[1]), vehicle(world, t1, "浙C10001")])
    assert monitoring_run(region_prefix="330381101", rules=["new_vehicle"])["alerts_new"] == 1
    assert Alert.objects.get().office_code == TANGXIA
    with pytest.raises(PermissionDenied):
        monitoring_run(user=anyang_user, rules=["new_vehicle"])  # township staff cannot run
    other = make_user("other_township", ("approver", TANGXIA))
    with pytest.raises(PermissionDenied):
        monitoring_run(user=other, region_prefix="330381", rules=["new_vehicle"])
    assert monitoring_run(user=county_user, rules=["new_vehicle"])["alerts_new"] == 1  # the county's own prefix

    def open_alerts(**kw):
        return next(r["open"] for r in selectors.rules_with_thresholds(**kw) if r["rule"].code == "new_vehicle")

    assert open_alerts() == 2 and open_alerts(user=county_user) == 2
    assert open_alerts(user=anyang_user) == 1  # the rules page counts only the user's own alerts
    with pytest.raises(ValidationError, match="不认识的监测规则"):
        monitoring_run(rules=["nope"])


@pytest.mark.django_db
def test_disabled_rule_does_not_run_and_rule_set_is_audited(world, car_family, county_user, anyang_user):
    rule = MonitoringRule.objects.get(code="new_vehicle")
    with pytest.raises(PermissionDenied):
        rule_set(user=anyang_user, rule=rule, enabled=False)
    rule_set(user=county_user, rule=rule, enabled=False, severity="high")
    assert AuditEvent.objects.filter(object_type="monitoring.rule", object_id="new_vehicle").exists()
    assert monitoring_run(rules=["new_vehicle"])["by_rule"] == {}
    rule_set(user=county_user, rule=rule, enabled=True)
    monitoring_run(rules=["new_vehicle"])
    assert Alert.objects.get().severity == "high"


# ---------------------------------------------------------------- handling


@pytest.fixture
def alert(world, car_family):
    monitoring_run(rules=["new_vehicle"])
    return Alert.objects.get()


@pytest.mark.django_db
def test_deliver_and_coordinate_record_and_close(alert, anyang_user):
    h = alert_handle(user=anyang_user, alert=alert, way="coordinate", note="提请县协调机制一事一议")
    alert.refresh_from_db()
    assert alert.state == "handling" and h.handled_by == anyang_user
    alert_handle(user=anyang_user, alert=alert, way="deliver", note="已落实临时救助", closes=True)
    alert.refresh_from_db()
    assert alert.state == "closed" and alert.closed_at is not None
    with pytest.raises(Refused, match="已办结"):
        alert_handle(user=anyang_user, alert=alert, way="deliver", note="again")
    assert AuditEvent.objects.filter(action="handle", object_id=alert.number).count() == 2


@pytest.mark.django_db
def test_refer_needs_a_department_and_records_its_answer(alert, anyang_user):
    with pytest.raises(ValidationError, match="承办部门"):
        alert_handle(user=anyang_user, alert=alert, way="refer", note="转人社")
    h = alert_handle(user=anyang_user, alert=alert, way="refer", note="转人社就业援助", department="市人社局")
    assert h.department == "市人社局" and h.answer == ""
    alert_referral_answer(user=anyang_user, handling=h, answer="已安排公益性岗位", closes=True)
    h.refresh_from_db()
    alert.refresh_from_db()
    assert h.answer == "已安排公益性岗位" and alert.state == "closed"
    assert AuditEvent.objects.filter(object_type="monitoring.alert", action="update").exists()


@pytest.mark.django_db
def test_recheck_opens_a_review_case_for_the_household(alert, anyang_user):
    h = alert_handle(user=anyang_user, alert=alert, way="recheck", note="新增车辆，启动复核")
    case = Case.objects.get(number=h.case_number)
    assert case.case_type.code == "assistance_review" and case.household_id == alert.household_id
    assert case.channel == "office"
    with pytest.raises(Refused, match="在办"):  # a second review of the same household is refused whole
        alert_handle(user=anyang_user, alert=alert, way="recheck", note="再次复核")
    assert AlertHandling.objects.filter(alert=alert).count() == 1


@pytest.mark.django_db
def test_handling_is_scoped_to_the_alerts_township(alert, tangxia_user, leader_user):
    with pytest.raises(PermissionDenied):
        alert_handle(user=tangxia_user, alert=alert, way="deliver", note="x")
    with pytest.raises(PermissionDenied):  # a leader may view, not handle
        alert_handle(user=leader_user, alert=alert, way="deliver", note="x")
    assert not selectors.alert_search(user=tangxia_user).exists()
    assert selectors.alert_search(user=leader_user).count() == 1
    with pytest.raises(ValidationError, match="处置方式"):
        alert_handle(user=leader_user, alert=alert, way="nope", note="x")


@pytest.mark.django_db
def test_evidence_shown_in_chinese(alert):
    items = dict(selectors.evidence_items(alert))
    assert items["数据来源"] == "公安·机动车登记"
    assert items["号牌号码"] == "浙C12345" and items["车辆类型"] == "小型载客汽车"
    assert "上次认定（纳入或复核）" in items


# ---------------------------------------------------------------- job, schedule, CLI


@pytest.mark.django_db(transaction=True)
def test_job_and_due_rules(world, car_family, county_user):
    from minzheng.engines.monitoring.jobs import run_enqueue

    MonitoringRule.objects.update(last_run_at=None)
    assert "new_vehicle" in rules_due() and "hardship_report" not in rules_due()
    job = run_enqueue(user=county_user, rules=["new_vehicle"], run=False)  # not also on the worker thread
    job = job_run(job.pk)
    assert job.state == JobState.SUCCEEDED, job.error
    assert job.result["by_rule"] == {"new_vehicle": 1}
    assert "new_vehicle" not in rules_due()  # weekly, just ran
    later = timezone.now() + dt.timedelta(days=7)
    assert "new_vehicle" in rules_due(now=later) and "member_deceased" in rules_due(now=later)


@pytest.mark.django_db
def test_cli_run_prints_the_result_and_alerts_as_json_lines(world, car_family):
    out = io.StringIO()
    call_command("monitor", "run", "--rule", "new_vehicle", stdout=out)
    assert json.loads(out.getvalue()) == {"alerts_new": 1, "alerts_open": 1, "by_rule": {"new_vehicle": 1}}
    out = io.StringIO()
    call_command("monitor", "run", "--rule", "new_vehicle", "--region", "330381", stdout=out)
    assert json.loads(out.getvalue())["alerts_new"] == 0
    out = io.StringIO()
    call_command("monitor", "alerts", "--region", "330381001", stdout=out)
    (line,) = out.getvalue().splitlines()
    row = json.loads(line)
    h = car_family[0]
    assert row["rule"] == "new_vehicle" and row["household_number"] == h.number
    assert row["id_number"].startswith("330381") and "*" in row["id_number"]
    assert row["evidence"]["plate_no"] == "浙C12345" and row["number"].startswith("YJ")
    out = io.StringIO()
    call_command("monitor", "alerts", "--rule", "member_deceased", stdout=out)
    assert out.getvalue() == ""
    with pytest.raises(CommandError, match="不认识"):
        call_command("monitor", "run", "--rule", "nope", stdout=io.StringIO())


@pytest.mark.django_db
def test_cli_rules_list_enable_disable():
    out = io.StringIO()
    call_command("monitor", "rules", "--disable", "age_milestone", "--json", stdout=out)
    rows = {r["code"]: r for r in json.loads(out.getvalue())}
    assert rows["age_milestone"]["enabled"] is False and rows["member_deceased"]["enabled"] is True
    out = io.StringIO()
    call_command("monitor", "rules", "--enable", "age_milestone", stdout=out)
    assert "age_milestone" in out.getvalue() and MonitoringRule.objects.get(code="age_milestone").enabled
    with pytest.raises(CommandError):
        call_command("monitor", "rules", "--enable", "nope", stdout=io.StringIO())

"""Workbench pages of monitoring: the alert list of the user's townships and its filters, the alert
page with evidence in Chinese and the four-way handling form, 主动发现, hardship reports with entry
and reply, the rules page (switching for ``monitoring.configure``, 立即运行 as a job), and a
household's 救助链 listing the alert and its handling."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.test import Client
from django.urls import reverse

from minzheng.engines.cases.models import Case
from minzheng.engines.monitoring.models import Alert, HardshipReport, MonitoringRule
from minzheng.engines.monitoring.selectors import report_by_code
from minzheng.engines.monitoring.services import alert_handle, monitoring_run
from minzheng.foundation.jobs.models import JobRun
from tests.conftest import ANYANG_VILLAGE
from tests.engines.monitoring import test_monitoring_rules as base
from tests.engines.monitoring.test_monitoring_rules import load, today


@pytest.fixture(autouse=True)
def _var_dir(settings, tmp_path):
    settings.VAR_DIR = tmp_path / "var"
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def world(assistance_standards, make_user, county_user):
    return base.World(make_user("staff_all", ("acceptor", "330381000000")), county_user)


def login(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


@pytest.fixture
def raised(world):
    """A 低保 family in 安阳 with a new car, and a person on no roll with big medical bills."""
    h, (a, _b), _ = world.family("孙一", "周二")
    _, (sick,), _ = world.family("韩未保", enrol=False)
    load("vehicle", [{"id_number": world.id(a), "name": a.name, "plate_no": "浙C12345", "vehicle_type": "small_passenger",
                      "registered_on": today() - dt.timedelta(days=10), "status": "normal"}])  # fmt: skip
    load("medical_expense", [{"id_number": world.id(sick), "name": sick.name, "settled_on": today() - dt.timedelta(days=9),
                              "visit_type": "inpatient", "total_cost": "90000.00", "out_of_pocket": "30000.00"}])  # fmt: skip
    monitoring_run(rules=["new_vehicle", "medical_discovery"])
    return h, Alert.objects.get(rule_id="new_vehicle"), Alert.objects.get(rule_id="medical_discovery")


@pytest.mark.django_db
def test_alert_list_filters_and_scoping(raised, anyang_user, tangxia_user):
    _, car, found = raised
    c = login(anyang_user)
    r = c.get(reverse("workbench:monitoring:alerts"))
    assert r.status_code == 200
    html = r.content.decode()
    assert car.number in html and found.number in html and "新增机动车" in html and "主动发现" in html
    r = c.get(reverse("workbench:monitoring:alerts"), {"rule": "new_vehicle"})
    assert car.number in r.content.decode() and found.number not in r.content.decode()
    r = c.get(reverse("workbench:monitoring:alerts"), {"overdue": "1"})
    assert car.number not in r.content.decode()
    other = login(tangxia_user)
    assert car.number not in other.get(reverse("workbench:monitoring:alerts")).content.decode()
    assert other.get(reverse("workbench:monitoring:alert", args=[car.number])).status_code == 404


@pytest.mark.django_db
def test_alert_page_shows_evidence_in_chinese_and_handles_four_ways(raised, anyang_user):
    household, car, _ = raised
    c = login(anyang_user)
    url = reverse("workbench:monitoring:alert", args=[car.number])
    html = c.get(url).content.decode()
    assert "号牌号码" in html and "浙C12345" in html and "小型载客汽车" in html and "复核认定" in html
    handle = reverse("workbench:monitoring:alert_handle", args=[car.number])
    r = c.post(handle, {"way": "refer", "note": "转交警核实"})
    assert r.status_code == 422 and "转办推送须填写承办部门" in r.content.decode()
    r = c.post(handle, {"way": "refer", "note": "转交警核实", "department": "市公安局交警大队"})
    assert r.status_code == 302
    h = car.handlings.get()
    r = c.post(reverse("workbench:monitoring:referral_answer", args=[car.number, h.pk]), {"answer": "车辆已过户"})
    assert r.status_code == 302
    r = c.post(handle, {"way": "recheck", "note": "发起复核"})
    assert r.status_code == 302
    case = Case.objects.get(household=household)
    assert case.case_type.code == "assistance_review"
    assert case.number in c.get(url).content.decode()
    c.post(handle, {"way": "coordinate", "note": "提请一事一议", "closes": "on"})
    car.refresh_from_db()
    assert car.state == "closed"
    r = c.post(handle, {"way": "deliver", "note": "再处置"})
    assert r.status_code == 409 and "已办结" in r.content.decode()


@pytest.mark.django_db
def test_discovery_page_lists_people_found_per_township(raised, anyang_user):
    _, car, found = raised
    html = login(anyang_user).get(reverse("workbench:monitoring:discovery")).content.decode()
    assert found.number in html and "安阳街道" in html and car.number not in html


@pytest.mark.django_db
def test_hardship_entry_reply_and_list(regions, anyang_user):
    c = login(anyang_user)
    assert c.get(reverse("workbench:monitoring:report_new")).status_code == 200
    r = c.post(reverse("workbench:monitoring:report_new"), {"channel": "hotline", "region_code": ANYANG_VILLAGE,
               "description": "独居老人生病无人照顾", "reporter_name": "王先生", "reporter_phone": "13800005678"})  # fmt: skip
    assert r.status_code == 302, r.content.decode()
    report = HardshipReport.objects.get()
    assert report.channel == "hotline" and report.alert.due is not None
    # the 查询码 to tell the caller, shown this once
    shown = c.get(r.url).content.decode()
    code = re.search(r"查询码 ([0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4})", shown).group(1)
    assert report_by_code(number=report.number, code=code) == report
    assert code not in c.get(r.url).content.decode()
    assert report.number in c.get(reverse("workbench:monitoring:reports")).content.decode()
    assert report.alert.number in c.get(reverse("workbench:monitoring:alerts")).content.decode()
    bad = c.post(reverse("workbench:monitoring:report_new"), {"channel": "hotline", "region_code": ANYANG_VILLAGE,
                 "description": "", "reporter_phone": "123"})  # fmt: skip
    assert bad.status_code == 422
    url = reverse("workbench:monitoring:report", args=[report.number])
    assert c.post(url, {"reply": "已安排入户核实"}).status_code == 302
    report.refresh_from_db()
    assert report.reply == "已安排入户核实"
    # the reporter lost the code: a new one, the old one void
    assert "重新生成查询码" in c.get(url).content.decode()
    r = c.post(url, {"new_code": "1"})
    assert r.status_code == 302
    new = re.search(r"新的查询码 ([0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4})", c.get(r.url).content.decode()).group(1)
    assert report_by_code(number=report.number, code=new) == report
    assert report_by_code(number=report.number, code=code) is None
    report.refresh_from_db()
    assert report.reply == "已安排入户核实"


@pytest.mark.django_db
def test_rules_page_configure_and_run(regions, county_user, anyang_user):
    c = login(county_user)
    html = c.get(reverse("workbench:monitoring:rules")).content.decode()
    assert "在保成员死亡" in html and "大额医疗自付预警线" in html and "停用" in html and "立即运行" in html
    assert (
        c.post(reverse("workbench:monitoring:rule_edit", args=["age_milestone"]), {"enabled": "0"}).status_code == 302
    )
    assert not MonitoringRule.objects.get(code="age_milestone").enabled
    c.post(reverse("workbench:monitoring:rule_edit", args=["age_milestone"]), {"severity": "high"})
    assert MonitoringRule.objects.get(code="age_milestone").severity == "high"
    r = c.post(reverse("workbench:monitoring:run"))
    job = JobRun.objects.get(kind="monitoring.run")
    assert r.status_code == 302 and r.url == reverse("workbench:system:job_detail", args=[job.pk])
    township = login(anyang_user)
    assert "立即运行" not in township.get(reverse("workbench:monitoring:rules")).content.decode()
    assert (
        township.post(reverse("workbench:monitoring:rule_edit", args=["age_milestone"]), {"enabled": "1"}).status_code
        == 403
    )
    assert township.post(reverse("workbench:monitoring:run")).status_code == 403


@pytest.mark.django_db
def test_chain_page_lists_enrollment_alert_and_handling(raised, anyang_user, tangxia_user):
    household, car, _ = raised
    alert_handle(user=anyang_user, alert=car, way="deliver", note="入户核实车辆为营运工具", closes=True)
    c = login(anyang_user)
    url = reverse("workbench:assistance:household_chain", args=[household.pk])
    html = c.get(url).content.decode()
    assert "预警：新增机动车" in html and car.number in html and "入户核实车辆为营运工具" in html
    assert "低保 纳入" in html
    only = c.get(url, {"kind": "handling"}).content.decode()
    assert "入户核实车辆为营运工具" in only and "低保 纳入" not in only
    assert login(tangxia_user).get(url).status_code == 404
    # the household page links it: the assistance area's registration (registry.household_links)
    page = c.get(reverse("workbench:registry:household_detail", args=[household.pk])).content.decode()
    assert f'href="{url}">救助链</a>' in page
    # and so does the alert's page (the same registration; the monitoring area names no line)
    page = c.get(reverse("workbench:monitoring:alert", args=[car.number])).content.decode()
    assert f'href="{url}">救助链</a>' in page

"""The figures: beds by type, 护理型床位占比 among 特困供养机构, 集中供养率 of 特困 persons unable to
care for themselves, hazards open by level, closure rate and median days to close — on a day, over
a region, and the CLI printing them as JSON."""

import datetime as dt
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from minzheng.business.eldercare import selectors, services
from minzheng.engines.benefits.services import enrollment_create
from minzheng.foundation.registry import services as registry
from tests.business.eldercare.homes import close, fire_template, home_make, inspect
from tests.conftest import ANYANG, ANYANG_VILLAGE, RUIAN, TANGXIA_VILLAGE
from tests.engines.supervision.helpers import limits_set

pytestmark = pytest.mark.django_db


def _tekun(ids, n, self_care, mode, region=TANGXIA_VILLAGE):
    p = registry.person_create(user=None, data={"name": "特困" + "甲乙丙丁"[n - 1], "id_number": ids(birth=dt.date(1945, 1, n)),
                                                "hukou_type": "rural", "region_code": region, "self_care": self_care})  # fmt: skip
    h = registry.household_create(user=None, data={"region_code": region, "hukou_type": "rural"}, head=p)
    start = timezone.localdate().replace(day=1) - dt.timedelta(days=400)
    return enrollment_create(user=None, program="tekun", household=h, person=p, monthly_amount="1500",
                             persons_covered=1, mode=mode, start_month=start.replace(day=1))  # fmt: skip


@pytest.fixture
def city(elder_staff, make_user, ids, assistance_standards):
    county = elder_staff["county"]
    inspector = make_user("e_inspector", ("inspector", RUIAN))
    limits_set()
    fire_template(make_user("e_admin", ("admin", RUIAN)))
    past = timezone.localdate() - dt.timedelta(days=60)
    homes = [
        home_make(county, TANGXIA_VILLAGE, nature="tekun", beds=(60, 30, 10, 40), since=past),
        home_make(county, ANYANG_VILLAGE, nature="tekun", beds=(40, 10, 0, 30), since=past),
        home_make(county, ANYANG_VILLAGE, nature="private", level="other", beds=(100, 50, 20, 0), since=past),
    ]
    for n, (care, mode) in enumerate((("none", "centralised"), ("partial", "centralised"), ("partial", "dispersed"),
                                      ("full", "centralised")), start=1):  # fmt: skip
        _tekun(ids, n, care, mode)
    today = timezone.localdate()
    hazards = inspect(inspector, homes[0], today - dt.timedelta(days=20), fail=("F1", "F2", "F3"))
    close(inspector, hazards[0], today - dt.timedelta(days=15))  # 5 days
    close(inspector, hazards[1], today - dt.timedelta(days=11))  # 9 days
    return homes, hazards


def test_figures_of_the_county(city):
    data = selectors.figures(region=RUIAN)
    assert data["homes"] == 3
    assert data["beds"] == {"total": 200, "nursing": 90, "dementia": 30, "reserved_centralised": 70}
    assert data["homes_by_nature"]["tekun"]["homes"] == 2 and data["homes_by_nature"]["private"]["beds_total"] == 100
    assert data["tekun_homes_nursing_bed_share"] == "0.4000"  # (30 + 10) / (60 + 40)
    assert (data["tekun_unable_selfcare"], data["tekun_unable_selfcare_centralised"]) == (3, 2)
    assert data["tekun_unable_selfcare_centralised_rate"] == "0.6667"
    assert data["hazards_open_by_level"] == {"general": 1, "major": 0}
    assert (data["hazards_found"], data["hazards_closed"], data["hazard_closure_rate"]) == (3, 2, "0.6667")
    assert data["hazard_median_days_to_close"] == "7"  # of 5 and 9


def test_figures_on_an_earlier_day_and_of_a_township(city):
    today = timezone.localdate()
    before = selectors.figures(region=RUIAN, on=today - dt.timedelta(days=13))  # one closed, two open
    assert before["hazards_open_by_level"] == {"general": 2, "major": 0}  # the major one closed on day -15
    assert before["hazards_closed"] == 1 and before["hazard_median_days_to_close"] == "5"
    assert selectors.figures(region=RUIAN, on=today - dt.timedelta(days=61))["homes"] == 0  # not yet operating
    anyang = selectors.figures(region=ANYANG)
    assert anyang["homes"] == 2 and anyang["beds"]["total"] == 140 and anyang["hazards_found"] == 0


def test_figures_follow_attribute_changes_from_their_day(city, elder_staff):
    homes, _ = city
    services.care_home_attributes_set(user=elder_staff["county"], supervised=homes[1], values={"beds_nursing": 30},
                                      reason="护理型床位改造")  # fmt: skip
    assert selectors.figures(region=RUIAN)["tekun_homes_nursing_bed_share"] == "0.6000"
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    assert selectors.figures(region=RUIAN, on=yesterday)["tekun_homes_nursing_bed_share"] == "0.4000"


def test_the_cli_prints_the_figures_as_json(city, capsys):
    call_command("eldercare", "figures", "--region", RUIAN, "--date", timezone.localdate().isoformat())
    data = json.loads(capsys.readouterr().out)
    assert data["homes"] == 3 and data["beds"]["nursing"] == 90
    with pytest.raises(CommandError, match="应为日期"):
        call_command("eldercare", "figures", "--region", RUIAN, "--date", "明天")
    with pytest.raises(CommandError, match="区划代码"):
        call_command("eldercare", "figures", "--region", "abc")
    with pytest.raises(CommandError, match="不认识的区划代码"):
        call_command("eldercare", "figures", "--region", "330381999999")


def test_the_page_and_the_export_read_shares_as_percentages():
    """The JSON keeps a share as a fraction ("0.4478"); the page and the Excel rows show 44.78%."""
    data = {"occupancy_rate": "0.0334", "tekun_homes_nursing_bed_share": "0.4478",
            "public_homes_graded": {"share": "1.0000"}, "hazard_closure_rate": None, "homes_by_nature": {}}  # fmt: skip
    rows = dict(selectors.figure_rows(data))
    assert rows["床位入住率"] == "3.34%" and rows["特困供养机构护理型床位占比"] == "44.78%"
    assert rows["公办养老机构等级评定达标率（县级二级以上、乡镇级一级以上）"] == "100.00%"
    assert rows["隐患整改销号率"] == ""  # no hazards found: no rate, not 0 %

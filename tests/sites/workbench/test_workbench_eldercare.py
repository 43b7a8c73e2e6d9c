"""The eldercare pages: homes of the user's townships only (another township's home is 404), the
home's page, admission and discharge through the forms, the figures page and its Excel export."""

import datetime as dt
import io

import pytest
from django.test import Client
from django.utils import timezone
from openpyxl import load_workbook

from minzheng.business.eldercare.models import Admission
from minzheng.foundation.audit.models import AuditEvent
from tests.business.eldercare.homes import home_make
from tests.conftest import ANYANG, ANYANG_VILLAGE, RUIAN, TANGXIA_VILLAGE

pytestmark = pytest.mark.django_db


@pytest.fixture
def homes(make_user):
    county = make_user("e_county", ("eldercare_supervisor", RUIAN))
    own = home_make(county, ANYANG_VILLAGE, name="安阳街道敬老院")
    other = home_make(county, TANGXIA_VILLAGE, name="塘下镇敬老院")
    return county, own, other


@pytest.fixture
def web(anyang_user):
    c = Client()
    c.force_login(anyang_user)
    return c


def test_the_list_holds_the_users_townships_homes(homes, web):
    page = web.get("/eldercare/homes/").content.decode()
    assert "安阳街道敬老院" in page and "塘下镇敬老院" not in page
    assert "安阳街道敬老院" in web.get("/eldercare/homes/?nature=tekun&q=安阳").content.decode()
    assert "安阳街道敬老院" not in web.get("/eldercare/homes/?nature=private").content.decode()


def test_the_county_filters_by_township(homes, make_user):
    c = Client()
    c.force_login(homes[0])
    page = c.get(f"/eldercare/homes/?region={ANYANG}").content.decode()  # homes sit in villages under it
    assert "安阳街道敬老院" in page and "塘下镇敬老院" not in page


def test_another_townships_home_and_its_forms_are_404(homes, web, household_other):
    _county, own, other = homes
    _household, head = household_other
    assert web.get(f"/eldercare/homes/{other.pk}/").status_code == 404
    assert web.get(f"/eldercare/homes/{other.pk}/admit/").status_code == 404
    r = web.post(f"/eldercare/homes/{other.pk}/admit/", {"id_number": head.id_number, "admitted_on": "2025-01-01",
                                                          "bed_type": "general", "monthly_fee": "0"})  # fmt: skip
    assert r.status_code == 404 and not Admission.objects.exists()
    page = web.get(f"/eldercare/homes/{own.pk}/").content.decode()
    assert "安阳街道敬老院" in page and "床位总数" in page and "60张" in page


def test_admission_and_discharge_through_the_forms(homes, web, household_in):
    _county, own, _ = homes
    _household, head, _ = household_in
    day = timezone.localdate() - dt.timedelta(days=3)
    r = web.post(f"/eldercare/homes/{own.pk}/admit/", {"id_number": "110101190001011234", "admitted_on": day,
                                                        "bed_type": "general", "monthly_fee": "0"})  # fmt: skip
    assert r.status_code == 422 and "找不到该身份证号的人员" in r.content.decode()
    r = web.post(f"/eldercare/homes/{own.pk}/admit/", {"id_number": head.id_number, "admitted_on": day,
                                                        "bed_type": "nursing", "monthly_fee": "3200",
                                                        "ability_level": "moderate", "assessed_on": day})  # fmt: skip
    assert r.status_code == 302
    a = Admission.objects.get()
    page = web.get(f"/eldercare/homes/{own.pk}/").content.decode()
    assert head.name in page and "中度失能" in page and head.id_number not in page
    r = web.post(f"/eldercare/homes/{own.pk}/admit/", {"id_number": head.id_number, "admitted_on": day,
                                                        "bed_type": "general", "monthly_fee": "0"})  # fmt: skip
    assert r.status_code == 422 and "请先办理退住" in r.content.decode()
    r = web.post(f"/eldercare/admissions/{a.pk}/discharge/", {"discharged_on": day - dt.timedelta(days=1),
                                                               "reason": "home"})  # fmt: skip
    assert r.status_code == 422 and "不能早于入住日期" in r.content.decode()
    r = web.post(f"/eldercare/admissions/{a.pk}/discharge/", {"discharged_on": timezone.localdate(), "reason": "home"})
    assert r.status_code == 302
    a.refresh_from_db()
    assert a.discharged_on == timezone.localdate()


def test_figures_page_and_export(homes, web, county_user):
    page = web.get(f"/eldercare/figures/?region={ANYANG}").content.decode()
    assert "特困供养机构护理型床位占比" in page and "50.00%" in page
    assert web.get(f"/eldercare/figures/?region={RUIAN}").status_code == 403  # beyond the township's grant
    r = web.get(f"/eldercare/figures/export/?region={ANYANG}")
    assert r.status_code == 200
    rows = {row[0]: row[1] for row in load_workbook(io.BytesIO(r.content)).active.iter_rows(values_only=True)}
    assert rows["养老机构数"] == 1 and rows["床位总数"] == 60 and rows["特困供养机构护理型床位占比"] == "50.00%"
    assert AuditEvent.objects.filter(action="export", object_type="eldercare.figures").exists()


def test_the_home_page_card_tells_the_county_of_a_prepaid_breach(homes, household_in):
    from minzheng.business.eldercare import services

    county, own, _ = homes
    _household, head, _ = household_in
    c = Client()
    c.force_login(county)
    assert "eldercare-alerts" not in c.get("/").content.decode()
    a = services.admission_record(user=county, supervised=own, person=head, monthly_fee="1000",
                                  admitted_on=timezone.localdate() - dt.timedelta(days=40))  # fmt: skip
    services.prepaid_report(
        user=county, supervised=own, lines=[{"admission": a, "prepaid_balance": "13000", "deposit": "0"}]
    )
    page = c.get("/").content.decode()
    assert "预付费超限 1 项待处理" in page
    breaches = c.get("/eldercare/breaches/").content.decode()
    assert "安阳街道敬老院" in breaches and "13,000.00" in breaches

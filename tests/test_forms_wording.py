"""Issue 13 items 11 and 25 on the sites: the alert page names a partner source by its Chinese name
and shows money as money; every form error reads as a caseworker would write it (no Django
default wording); the household page offers 登记申请; a visit date within sense; all errors of a
form at once; money as money on pages and documents."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.test import Client
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from minzheng.engines.monitoring.models import Alert
from minzheng.engines.monitoring.services import monitoring_run

from . import test_monitoring_rules as base
from .test_monitoring_rules import load, today


def login(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def _text(response) -> str:
    html = response.content.decode()
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html.split("<main", 1)[-1]))


@pytest.fixture(autouse=True)
def _var_dir(settings, tmp_path):
    settings.VAR_DIR = tmp_path / "var"
    settings.MEDIA_ROOT = tmp_path / "media"


# ---------------------------------------------------------------- 11: the alert page


@pytest.mark.django_db
def test_alert_page_names_sources_in_chinese_and_shows_money(assistance_standards, make_user, county_user,
                                                               anyang_user):  # fmt: skip
    """The 在保成员死亡 evidence carries no source of its own: the page names the rule's sources by
    department and name (never ``death``/``cremation``); the 大额医疗 line shows 20,000.00."""
    world = base.World(make_user("staff_all", ("acceptor", "330381000000")), county_user)
    _, (_head, wife), _ = world.family("王大明", "李小花")
    _, (sick,), _ = world.family("韩未保", enrol=False)
    load("death", [{"id_number": world.id(wife), "name": wife.name, "death_date": today() - dt.timedelta(days=20)}])
    load("medical_expense", [{"id_number": world.id(sick), "name": sick.name, "settled_on": today() - dt.timedelta(days=9),
                              "visit_type": "inpatient", "total_cost": "90000.00", "out_of_pocket": "30000.00"}])  # fmt: skip
    monitoring_run(rules=["member_deceased", "medical_discovery"])
    c = login(anyang_user)
    dead = Alert.objects.get(rule_id="member_deceased")
    page = _text(c.get(reverse("workbench:monitoring_alert", args=[dead.number])))
    assert "数据来源 公安·死亡登记、民政殡葬·火化记录" in page
    assert not re.search(r"\b(death|cremation)\b", page)
    found = Alert.objects.get(rule_id="medical_discovery")
    page = _text(c.get(reverse("workbench:monitoring_alert", args=[found.number])))
    assert "数据来源 医保·医疗费用结算" in page and "预警线（元） 20,000.00" in page


# ---------------------------------------------------------------- 25: money as money


def test_yuan_examples():
    from decimal import Decimal

    from minzheng.foundation.documents.spec import value_text
    from minzheng.foundation.money import yuan

    assert yuan(Decimal("3540.0000")) == "3,540.00"
    assert yuan("1460") == "1,460.00" and yuan(0) == "0.00" and yuan(Decimal("-1234.565")) == "-1,234.57"
    assert yuan(None) == "" and yuan("") == "" and yuan("未配置") == "未配置"
    assert value_text(Decimal("3540.0000")) == "3,540.00"  # a Decimal in a document is money
    assert value_text("1460.00", "月保障金（元）") == "1,460.00" and value_text("1460", "人数") == "1460"


@given(st.decimals(min_value=-(10**12), max_value=10**12, places=4, allow_nan=False, allow_infinity=False))
def test_yuan_is_the_amount_to_the_fen_with_separators(d):
    from decimal import ROUND_HALF_UP, Decimal

    from minzheng.foundation.money import yuan

    text = yuan(d)
    assert re.fullmatch(r"-?\d{1,3}(,\d{3})*\.\d{2}", text)
    assert Decimal(text.replace(",", "")) == d.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


MONEY_NAME = re.compile(r"(amount|_income|standard_monthly)$")


def test_every_amount_on_a_page_goes_through_yuan():
    """A template variable named as money (``…amount``, ``…_income``, ``standard_monthly``) is shown
    through the ``yuan`` filter: 3,540.00, never 3540.0000."""
    from pathlib import Path

    import minzheng.sites

    bad = []
    for path in Path(minzheng.sites.__file__).parent.rglob("templates/**/*.html"):
        for expr in re.findall(r"\{\{\s*(.*?)\s*\}\}", path.read_text()):
            name = expr.split("|", 1)[0].strip()
            if MONEY_NAME.search(name) and "|yuan" not in expr.replace(" ", ""):
                bad.append(f"{path.name}: {{{{ {expr} }}}}")
    assert bad == []

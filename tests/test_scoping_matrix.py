"""A user of one township can neither read nor change another township's persons or households:
every registry page and endpoint answers 'not found' and changes nothing."""

import io

import pytest
from django.test import Client
from openpyxl import load_workbook

from minzheng.foundation.accounts.services import token_issue
from minzheng.foundation.audit.models import AuditEvent
from minzheng.foundation.registry.models import Household, Membership, Person

from .conftest import TANGXIA_VILLAGE


def _snapshot():
    return (
        list(Person.objects.order_by("pk").values()),
        list(Household.objects.order_by("pk").values()),
        list(Membership.objects.order_by("pk").values()),
    )


@pytest.fixture
def world(household_in, household_other, anyang_user):
    own, own_head, _ = household_in
    other, other_head = household_other
    web = Client()
    web.force_login(anyang_user)
    api = Client(headers={"authorization": f"Bearer {token_issue(user=anyang_user)}"})
    return {"own": own, "own_head": own_head, "other": other, "other_head": other_head, "web": web, "api": api}


PAGES = [
    ("get", "/persons/{p}/"),
    ("get", "/persons/{p}/edit/"),
    ("post", "/persons/{p}/edit/"),
    ("post", "/persons/{p}/reveal/id_number/"),
    ("post", "/persons/{p}/reveal/phone/"),
    ("get", "/households/{h}/"),
    ("get", "/households/{h}/edit/"),
    ("post", "/households/{h}/edit/"),
    ("post", "/households/{h}/reveal/bank_account/"),
    ("post", "/households/{h}/members/add/"),
    ("post", "/households/{h}/members/{m}/end/"),
]
ENDPOINTS = [
    ("get", "/api/v1/persons/{p}"),
    ("patch", "/api/v1/persons/{p}"),
    ("post", "/api/v1/persons/{p}/reveal"),
    ("get", "/api/v1/households/{h}"),
    ("patch", "/api/v1/households/{h}"),
]


def _url(template, w, target):
    h = w[target]
    head = w[f"{target}_head"]
    m = Membership.objects.filter(household=h).first()
    return template.format(p=head.pk, h=h.pk, m=m.pk)


@pytest.mark.django_db
@pytest.mark.parametrize(("method", "template"), PAGES)
def test_workbench_pages_hide_other_township(world, method, template):
    before = _snapshot()
    reveals = AuditEvent.objects.filter(action="reveal").count()
    data = {"name": "篡改", "region_code": TANGXIA_VILLAGE, "hukou_type": "rural", "self_care": "full", "reason": "x",
            "relation": "child", "id_number": world["own_head"].id_number, "ethnicity": "汉族"}  # fmt: skip
    response = getattr(world["web"], method)(_url(template, world, "other"), data if method == "post" else None)
    assert response.status_code == 404
    body = response.content.decode()
    assert world["other_head"].name not in body and world["other_head"].id_number_masked not in body
    assert _snapshot() == before
    assert AuditEvent.objects.filter(action="reveal").count() == reveals
    # the same page works on the user's own township
    own = world["web"].get(_url(template, world, "own")) if method == "get" else None
    if own is not None:
        assert own.status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize(("method", "template"), ENDPOINTS)
def test_api_endpoints_hide_other_township(world, method, template):
    before = _snapshot()
    payload = {"name": "篡改", "field": "id_number", "address": "x"}
    response = getattr(world["api"], method)(_url(template, world, "other"), payload, content_type="application/json")
    assert response.status_code == 404
    assert world["other_head"].name not in response.content.decode()
    assert _snapshot() == before
    assert world["api"].get(_url(template, world, "own")).status_code in (200, 405)


@pytest.mark.django_db
def test_lists_searches_and_exports_hold_only_own_township(world):
    other = world["other_head"]
    for q in ("", other.name, other.id_number, other.name_initials):
        # an ID number is sent on to a token URL (search.py): follow it
        rows = world["web"].get("/persons/", {"q": q}, headers={"hx-request": "true"}, follow=True).content.decode()
        assert other.name not in rows and other.id_number_masked not in rows
        if q:
            assert "共 0 人" in rows
        api = world["api"].get("/api/v1/persons", {"q": q}).json()
        assert all(item["id"] != other.pk for item in api["items"])
        hh = world["api"].get("/api/v1/households", {"q": q}).json()
        assert all(item["id"] != world["other"].pk for item in hh["items"])
    assert world["own_head"].name in world["web"].get("/persons/").content.decode()
    for url in ("/persons/?export=xlsx", "/households/?export=xlsx"):
        wb = load_workbook(io.BytesIO(world["web"].get(url).content))
        cells = {str(c) for row in wb.active.iter_rows(values_only=True) for c in row}
        assert other.name not in cells and world["other"].number not in cells
        assert world["own_head"].name in cells or world["own"].number in cells


@pytest.mark.django_db
def test_cannot_create_in_other_township(world, ids):
    before = _snapshot()
    payload = {"name": "张三", "id_number": ids(), "hukou_type": "rural", "region_code": TANGXIA_VILLAGE}
    assert world["api"].post("/api/v1/persons", payload, content_type="application/json").status_code == 403
    response = world["web"].post("/persons/new/", {**payload, "ethnicity": "汉族", "self_care": "full"})
    # the village picker offers only the user's own villages; the service would refuse too (API: 403)
    assert response.status_code == 200 and "不在可选范围内" in response.content.decode()
    assert _snapshot() == before

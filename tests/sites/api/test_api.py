import pytest
from django.test import Client

from minzheng.foundation.audit.models import AuditEvent
from minzheng.foundation.registry.models import Household, Person
from tests.conftest import ANYANG_VILLAGE, PASSWORD


@pytest.fixture
def api(anyang_user):
    client = Client()
    r = client.post("/api/v1/auth/token", {"username": "anyang", "password": PASSWORD}, content_type="application/json")
    assert r.status_code == 200
    client.defaults["HTTP_AUTHORIZATION"] = f"Bearer {r.json()['token']}"
    return client


@pytest.mark.django_db
def test_token_wrong_password_and_no_token(anyang_user):
    c = Client()
    r = c.post("/api/v1/auth/token", {"username": "anyang", "password": "wrong"}, content_type="application/json")
    assert r.status_code == 401 and r.json()["detail"] == "用户名或密码错误"
    assert c.get("/api/v1/persons").status_code == 401
    assert c.get("/api/v1/persons", HTTP_AUTHORIZATION="Bearer mz_forged").status_code == 401


@pytest.mark.django_db
def test_token_endpoint_locks_after_five_failures(anyang_user):
    c = Client()
    for _ in range(5):
        c.post("/api/v1/auth/token", {"username": "anyang", "password": "wrong"}, content_type="application/json")
    r = c.post("/api/v1/auth/token", {"username": "anyang", "password": PASSWORD}, content_type="application/json")
    assert r.status_code == 429 and "锁定" in r.json()["detail"]


@pytest.mark.django_db
def test_persons_list_and_detail_are_masked(api, household_in):
    _, head, spouse = household_in
    items = api.get("/api/v1/persons").json()["items"]
    assert {i["id"] for i in items} == {head.pk, spouse.pk}
    item = next(i for i in items if i["id"] == head.pk)
    assert item == {
        "id": head.pk,
        "name": "王建国",
        "id_number": head.id_number_masked,
        "sex": "male",
        "birth_date": "1970-05-17",
        "region_code": ANYANG_VILLAGE,
    }
    detail = api.get(f"/api/v1/persons/{head.pk}").json()
    assert detail["phone"] == "138****1111" and detail["household_number"]
    assert head.id_number not in str(detail)


@pytest.mark.django_db
def test_reveal_through_api_is_audited(api, household_in):
    _, head, _ = household_in
    r = api.post(f"/api/v1/persons/{head.pk}/reveal", {"field": "id_number"}, content_type="application/json")
    assert r.json() == {"field": "id_number", "value": head.id_number}
    ev = AuditEvent.objects.get(action="reveal")
    assert (ev.actor_name, ev.channel, ev.object_id) == ("anyang", "api", str(head.pk))


@pytest.mark.django_db
def test_create_household_with_new_members(api, ids):
    payload = {
        "region_code": ANYANG_VILLAGE,
        "hukou_type": "rural",
        "address": "华瑞路3号",
        "head": {
            "relation": "head",
            "person": {"name": "刘德华", "id_number": ids(), "hukou_type": "rural", "region_code": ANYANG_VILLAGE},
        },
        "members": [
            {
                "relation": "child",
                "person": {"name": "刘小华", "id_number": ids(), "hukou_type": "rural", "region_code": ANYANG_VILLAGE},
            }
        ],
    }
    r = api.post("/api/v1/households", payload, content_type="application/json")
    assert r.status_code == 201, r.content
    body = r.json()
    assert [m["relation"] for m in body["members"]] == ["head", "child"]
    assert body["head_name"] == "刘德华"
    assert AuditEvent.objects.filter(channel="api", action="create").count() == 3


@pytest.mark.django_db
def test_bad_input_is_422_in_chinese_and_writes_nothing(api, ids):
    payload = {
        "region_code": ANYANG_VILLAGE,
        "hukou_type": "rural",
        "head": {
            "relation": "head",
            "person": {"name": "好人", "id_number": ids(), "hukou_type": "rural", "region_code": ANYANG_VILLAGE},
        },
        "members": [
            {
                "relation": "child",
                "person": {
                    "name": "坏号",
                    "id_number": "110108199003071237",
                    "hukou_type": "rural",
                    "region_code": ANYANG_VILLAGE,
                },
            }
        ],
    }
    r = api.post("/api/v1/households", payload, content_type="application/json")
    assert r.status_code == 422
    assert "校验位错误" in r.json()["errors"]["id_number"]
    assert Person.objects.count() == 0 and Household.objects.count() == 0
    r = api.post("/api/v1/persons", {"name": 5}, content_type="application/json")
    assert r.status_code == 422 and r.json()["detail"].startswith("请求格式不正确")
    assert r.json()["errors"]["name"] == "须为文本" and r.json()["errors"]["region_code"] == "必填"


@pytest.mark.django_db
def test_patch_person_and_household(api, household_in):
    household, head, _ = household_in
    r = api.patch(f"/api/v1/persons/{head.pk}", {"self_care": "partial"}, content_type="application/json")
    assert r.status_code == 200 and r.json()["self_care"] == "partial"
    r = api.patch(f"/api/v1/households/{household.pk}", {"address": "新地址"}, content_type="application/json")
    assert r.json()["address"] == "新地址" and r.json()["bank_account"] == "6228***********8901"


@pytest.mark.django_db
def test_openapi_docs_served(api):
    assert api.get("/api/v1/openapi.json").json()["info"]["title"].startswith("minzheng")

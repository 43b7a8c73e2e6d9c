"""``/api/v1/supervision``: entities, inspections and the hazard ledger, scoped (another township's
object is 404), and a rectification entered by staff."""

import pytest
from django.test import Client

from minzheng.engines.supervision.models import TemplateItem
from minzheng.engines.supervision.services import (
    inspection_complete,
    inspection_result_set,
    inspection_start,
    supervised_register,
)
from minzheng.foundation.accounts.services import token_issue, user_create
from tests.conftest import ANYANG, ANYANG_VILLAGE, RUIAN, TANGXIA_VILLAGE
from tests.engines.supervision.helpers import entity_make, kind_declared, limits_set, signature, template_make

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def api(user) -> Client:
    return Client(headers={"authorization": f"Bearer {token_issue(user=user)}"})


@pytest.fixture
def world(make_user):
    with kind_declared() as kind:
        county = make_user("api_sup_county", ("approver", RUIAN), ("admin", RUIAN))
        inspector = make_user("api_sup_inspector", ("inspector", ANYANG))
        limits_set()
        template = template_make(county)
        own = supervised_register(user=county, entity=entity_make(county, ANYANG_VILLAGE, 1, "安阳颐养院"),
                                  kind=kind.code, status="operating", attributes={"beds": 80, "nature": "public"})  # fmt: skip
        other = supervised_register(user=county, entity=entity_make(county, TANGXIA_VILLAGE, 2, "塘下敬老院"),
                                    kind=kind.code)  # fmt: skip
        insp = inspection_start(user=inspector, supervised=own, purpose="fire")
        for item in TemplateItem.objects.filter(section__template=template):
            inspection_result_set(user=inspector, inspection=insp, item=item,
                                  outcome="fail" if item.code == "F1" else "pass", note="通道堵塞")  # fmt: skip
        inspection_complete(user=inspector, inspection=insp, conclusion="整改",
                            inspector_signature=signature(inspector, ANYANG), representative_refused="拒签")  # fmt: skip
        yield {"county": county, "inspector": inspector, "own": own, "other": other, "inspection": insp,
               "hazard": insp.hazards.get()}  # fmt: skip


def test_entities_list_and_detail_scoped(world):
    c = api(world["inspector"])
    page = c.get("/api/v1/supervision/entities").json()
    assert page["count"] == 1 and page["items"][0]["name"] == "安阳颐养院"
    assert page["items"][0]["kind_label"] == "测试机构"
    detail = c.get(f"/api/v1/supervision/entities/{world['own'].pk}").json()
    assert detail["attributes"]["beds"] == 80 and detail["attributes"]["nature"] == "public"
    assert detail["representative_phone"] == "137****5678"
    assert c.get(f"/api/v1/supervision/entities/{world['other'].pk}").status_code == 404
    assert api(world["county"]).get("/api/v1/supervision/entities", {"q": "塘下"}).json()["count"] == 1
    assert c.get("/api/v1/supervision/entities", {"region": "33x"}).status_code == 422


def test_inspection_hazards_and_a_rectification(world):
    c = api(world["inspector"])
    insp = c.get(f"/api/v1/supervision/inspections/{world['inspection'].pk}").json()
    assert insp["state"] == "completed" and insp["hazards"] == [world["hazard"].pk]
    assert [r["outcome"] for r in insp["results"]] == ["fail", "pass", "pass"]
    ledger = c.get("/api/v1/supervision/hazards", {"state": "unclosed", "level": "major"}).json()
    assert ledger["count"] == 1 and ledger["items"][0]["uscc"] == world["own"].entity.uscc
    assert c.get("/api/v1/supervision/hazards", {"state": "nonsense"}).status_code == 422
    url = f"/api/v1/supervision/hazards/{world['hazard'].pk}/rectifications"
    assert c.post(url, {"text": ""}, content_type="application/json").status_code == 422
    r = c.post(url, {"text": "已清理通道", "submitted_by_name": "周建华"}, content_type="application/json")
    assert r.status_code == 201 and r.json()["state"] == "submitted"
    r = c.post(url, {"text": "再次"}, content_type="application/json")
    assert r.status_code == 422 and "等待复查" in r.json()["detail"]
    tangxia = api(user_create(username="api_tx", password="Test@Pass2026", grants=[("inspector", "330381101000")]))
    assert tangxia.get(f"/api/v1/supervision/hazards/{world['hazard'].pk}").status_code == 404
    assert tangxia.post(url, {"text": "x"}, content_type="application/json").status_code == 404

"""Workbench pages of the supervision engine, on a test-only kind: the entity list and its filters,
the entity page, an inspection recorded item by item (with a photo) and completed with signatures,
the hazard closed by a staff-entered rectification and a re-inspection, the ledger and its export;
another township's objects are 404."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from minzheng.engines.supervision.models import Hazard, Inspection, TemplateItem
from minzheng.engines.supervision.services import supervised_register
from minzheng.foundation.documents.text import pdf_text
from tests.conftest import ANYANG, ANYANG_VILLAGE, RUIAN, TANGXIA_VILLAGE
from tests.engines.supervision.helpers import PNG, entity_make, kind_declared, limits_set, template_make

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def world(make_user):
    with kind_declared() as kind:
        county = make_user("wb_sup_county", ("approver", RUIAN), ("admin", RUIAN))
        inspector = make_user("wb_sup_inspector", ("inspector", ANYANG))
        limits_set()
        template = template_make(county)
        own = supervised_register(user=county, entity=entity_make(county, ANYANG_VILLAGE, 1, "安阳颐养院"),
                                  kind=kind.code, status="operating", attributes={"beds": 80, "nature": "public"})  # fmt: skip
        other = supervised_register(user=county, entity=entity_make(county, TANGXIA_VILLAGE, 2, "塘下敬老院"),
                                    kind=kind.code)  # fmt: skip
        yield {"county": county, "inspector": inspector, "template": template, "own": own, "other": other}


def login(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def png(name="p.png"):
    return SimpleUploadedFile(name, PNG, content_type="image/png")


def test_entity_list_filters_and_the_entity_page(world):
    c = login(world["inspector"])
    body = c.get(reverse("workbench:supervision:entities")).content.decode()
    assert "安阳颐养院" in body and "塘下敬老院" not in body
    county = login(world["county"])
    body = county.get(reverse("workbench:supervision:entities"), {"q": "塘下"}).content.decode()
    assert "塘下敬老院" in body and "安阳颐养院" not in body
    page = c.get(reverse("workbench:supervision:entity", args=[world["own"].pk])).content.decode()
    assert "床位数" in page and "80张" in page and "公办" in page and "开始检查" in page
    assert c.get(reverse("workbench:supervision:entity", args=[world["other"].pk])).status_code == 404
    from minzheng.engines.supervision.services import attributes_set

    attributes_set(user=world["county"], supervised=world["own"], values={"beds": 100}, reason="扩建")
    page = c.get(reverse("workbench:supervision:entity", args=[world["own"].pk])).content.decode()
    assert "100张" in page and "床位数：80张" in page and "扩建" not in page.split("属性变更记录")[0]


def test_an_inspection_on_a_phone_to_a_closed_hazard(world):
    c = login(world["inspector"])
    r = c.post(reverse("workbench:supervision:inspection_new", args=[world["own"].pk]), {"purpose": "fire"})
    inspection = Inspection.objects.get()
    assert r.status_code == 302 and r["Location"] == reverse("workbench:supervision:inspection", args=[inspection.pk])
    page = c.get(r["Location"]).content.decode()
    assert 'capture="environment"' in page and "疏散通道畅通" in page
    items = {i.code: i for i in TemplateItem.objects.filter(section__template=world["template"])}
    # a failed item without a note is refused, and nothing of the batch is kept
    data = {f"outcome_{items['F1'].pk}": "fail", f"outcome_{items['F2'].pk}": "pass"}
    r = c.post(r["Location"], data)
    assert r.status_code == 422 and "请写明发现的问题" in r.content.decode() and not inspection.results.exists()
    data = {f"outcome_{i.pk}": "pass" for i in items.values()}
    data |= {f"outcome_{items['F1'].pk}": "fail", f"note_{items['F1'].pk}": "通道堆放杂物",
             f"photo_{items['F1'].pk}": png()}  # fmt: skip
    r = c.post(reverse("workbench:supervision:inspection", args=[inspection.pk]), data)
    assert r.status_code == 302 and inspection.results.count() == 3
    assert inspection.results.get(item=items["F1"]).photos.count() == 1
    r = c.post(reverse("workbench:supervision:inspection_complete", args=[inspection.pk]),
               {"conclusion": "限期整改", "inspector_signature": png("s.png"), "representative_name": "周建华",
                "representative_signature": png("r.png")})  # fmt: skip
    assert r.status_code == 302
    hazard = Hazard.objects.get()
    assert hazard.level == "major" and hazard.state == "open"
    pdf = c.get(reverse("workbench:supervision:inspection_record", args=[inspection.pk]))
    assert pdf["Content-Type"] == "application/pdf" and "限期整改" in pdf_text(pdf.content, compact=True)
    # the inspector cannot close it: there is no rectification yet, and the page offers no re-inspection
    page = c.get(reverse("workbench:supervision:hazard", args=[hazard.pk])).content.decode()
    assert "保存复查结论" not in page
    r = c.post(reverse("workbench:supervision:hazard_reinspect", args=[hazard.pk]), {"passed": "1", "note": "好"})
    assert r.status_code == 422 and "不能复查销号" in r.content.decode()
    r = c.post(reverse("workbench:supervision:hazard_rectify", args=[hazard.pk]),
               {"text": "已清理", "submitted_by_name": "周建华", "photos": png("fix.png")})  # fmt: skip
    assert r.status_code == 302
    hazard.refresh_from_db()
    assert hazard.state == "submitted" and hazard.rectifications.get().photos.count() == 1
    r = c.post(reverse("workbench:supervision:hazard_reinspect", args=[hazard.pk]), {"passed": "1", "note": "到位"})
    assert r.status_code == 302
    hazard.refresh_from_db()
    assert hazard.state == "closed"
    page = c.get(reverse("workbench:supervision:hazard", args=[hazard.pk])).content.decode()
    assert "复查销号" in page and "已销号" in page


def test_ledger_list_export_and_scoping(world):
    from minzheng.engines.supervision.services import (
        inspection_complete,
        inspection_result_set,
        inspection_start,
        photo_store,
    )

    insp = inspection_start(user=world["inspector"], supervised=world["own"], purpose="fire")
    for item in TemplateItem.objects.filter(section__template=world["template"]):
        inspection_result_set(user=world["inspector"], inspection=insp, item=item, outcome="fail", note="问题")
    sign = photo_store(user=world["inspector"], data=PNG, name="s.png", region_code=ANYANG)
    inspection_complete(user=world["inspector"], inspection=insp, conclusion="整改", inspector_signature=sign,
                        representative_refused="拒签")  # fmt: skip
    c = login(world["county"])
    body = c.get(reverse("workbench:supervision:hazards")).content.decode()
    assert body.count("安阳颐养院") >= 2 and "重大隐患 <strong>1</strong>" in body
    body = c.get(reverse("workbench:supervision:hazards"), {"level": "major"}).content.decode()
    assert "疏散通道畅通" in body and "灭火器在有效期内" not in body
    r = c.get(reverse("workbench:supervision:hazards"), {"export": "xlsx", "level": "general"})
    rows = list(load_workbook(io.BytesIO(r.content)).active.iter_rows(values_only=True))
    assert len(rows) == 2 and rows[1][1] == "安阳颐养院" and rows[1][4] == "一般隐患"
    tangxia = login(world["county"].__class__.objects.create_user("wb_tx", password="x"))
    assert tangxia.get(reverse("workbench:supervision:hazards")).status_code == 403
    other = Client()
    from minzheng.foundation.accounts.services import user_create

    other.force_login(user_create(username="wb_tx2", password="Test@Pass2026", grants=[("inspector", "330381101000")]))
    hazard = Hazard.objects.first()
    assert other.get(reverse("workbench:supervision:hazard", args=[hazard.pk])).status_code == 404
    assert other.get(reverse("workbench:supervision:inspection", args=[insp.pk])).status_code == 404
    assert "安阳颐养院" not in other.get(reverse("workbench:supervision:hazards")).content.decode()


def test_attributes_form_from_the_declaration_and_status_change(world):
    county = login(world["county"])
    url = reverse("workbench:supervision:entity_attributes", args=[world["own"].pk])
    page = county.get(url).content.decode()
    assert "床位数（运营时必填）" in page and "医养结合" in page and 'type="date"' in page
    r = county.post(url, {"beds": "-3", "nature": "public"})
    assert r.status_code == 422 and "不能小于 0" in r.content.decode()
    r = county.post(url, {"beds": "80", "nature": "private", "medical": "1", "area": "1200.50", "reason": "转制"})
    assert r.status_code == 302
    from minzheng.engines.supervision.selectors import attribute_history, attributes_current

    current = {a.code: v for a, v, _ in attributes_current(world["own"])}
    assert current["nature"] == "private" and current["medical"] is True and str(current["area"]) == "1200.5000"
    assert attribute_history(world["own"], "beds").count() == 1  # unchanged: not written again
    assert login(world["inspector"]).get(url).status_code == 403
    status_url = reverse("workbench:supervision:entity_status", args=[world["own"].pk])
    r = county.post(status_url, {"status": "preparing", "reason": "x"})
    assert r.status_code == 422 and "不能变为「筹建」" in r.content.decode()
    r = county.post(status_url, {"status": "suspended", "reason": "停业整顿"})
    assert r.status_code == 302
    world["own"].refresh_from_db()
    assert world["own"].status == "suspended"

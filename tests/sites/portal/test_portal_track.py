"""我的办件 and 进度查询: own cases only (anything else is a 404), public parts only, 一次性告知 with
upload in place, documents for the applicant, and an anonymous lookup that cannot enumerate."""

import re

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from minzheng.engines.cases.services import case_act, case_open
from minzheng.foundation.audit.models import AuditEvent
from minzheng.sites.portal import views_track
from tests.engines.cases.test_cases import _open, staff  # noqa: F401  (fixture)
from tests.sites.portal.test_portal_apply import PNG, make_citizen, signed_in

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    cache.clear()


@pytest.fixture
def window_case(staff, household_in):  # noqa: F811
    return _open(staff, household_in)


@pytest.fixture
def other_case(household_other, tangxia_user):
    household, head = household_other
    return case_open(user=tangxia_user, case_type="dibao_application", region_code="", household=household,
                     applicant=head, channel="window")  # fmt: skip


def test_only_own_cases(window_case, other_case, household_in, ids):
    _, head, spouse = household_in
    applicant = signed_in(make_citizen(head.name, head.id_number, person=head))
    member = signed_in(make_citizen(spouse.name, spouse.id_number, person=spouse, phone="13912340001"))
    stranger = signed_in(make_citizen("路人甲", ids(), phone="13912340002"))
    for client in (applicant, member):
        listing = client.get("/portal/cases/").content.decode()
        assert window_case.number in listing and other_case.number not in listing
        assert client.get(f"/portal/cases/{window_case.number}/").status_code == 200
        assert client.get(f"/portal/cases/{other_case.number}/").status_code == 404
        assert client.get("/portal/cases/DB-330381-2000-999999/").status_code == 404
    assert window_case.number not in stranger.get("/portal/cases/").content.decode()
    assert stranger.get(f"/portal/cases/{window_case.number}/").status_code == 404
    body = applicant.get(f"/portal/cases/{window_case.number}/").content.decode()
    assert "已提交，等待受理" in body and "安阳街道办事处" in body and "受理审查" in body
    assert "sl_acceptor" not in body  # no staff names
    assert Client().get("/portal/cases/").status_code == 302


def test_supplement_upload_in_place_and_documents(staff, window_case, household_in):  # noqa: F811
    _, head, _ = household_in
    case = case_act(user=staff["acceptor"], case=window_case, action="request_materials", opinion="请补充户口簿复印件")
    client = signed_in(make_citizen(head.name, head.id_number, person=head))
    body = client.get(f"/portal/cases/{case.number}/").content.decode()
    assert "需要补正材料" in body and "一次性告知" in body and "书面申请书" in body and "授权书" in body
    # the 一次性告知 is addressed to the applicant (the notice PDF carries it too); nothing else staff wrote
    assert "请补充户口簿复印件" in body and "sl_acceptor" not in body
    assert 'capture="environment"' in body
    doc = case.documents.get(kind="missing_materials_notice")
    assert f"/portal/cases/{case.number}/documents/{doc.pk}/" in body
    r = client.get(f"/portal/cases/{case.number}/documents/{doc.pk}/")
    assert r.status_code == 200 and r["Content-Type"] == "application/pdf"
    assert AuditEvent.objects.filter(action="download", object_type="cases.document", object_id=str(doc.pk)).exists()

    bad = SimpleUploadedFile("申请书.pdf", b"<html>not a pdf</html>")
    r = client.post(f"/portal/cases/{case.number}/upload/", {"code": "application", "file": bad})
    assert r.status_code == 422 and "只接受" in r.content.decode()
    good = SimpleUploadedFile("申请书.png", PNG)
    r = client.post(f"/portal/cases/{case.number}/upload/", {"code": "application", "file": good})
    assert r.status_code == 302
    m = case.materials.get(code="application")
    assert m.uploaded_by is None and m.step == "supplement"
    event = AuditEvent.objects.get(action="upload", object_type="cases.material", object_id=str(m.pk))
    assert "王建国" in event.summary and event.channel == "portal"
    body = client.get(f"/portal/cases/{case.number}/").content.decode()
    assert "书面申请书" in body.split("已提交的材料")[1]
    stranger = signed_in(make_citizen("路人乙", "", phone="13912340003"))
    assert stranger.post(f"/portal/cases/{case.number}/upload/", {"code": "other", "file": good}).status_code == 404
    assert stranger.get(f"/portal/cases/{case.number}/documents/{doc.pk}/").status_code == 404


def _strip(html: str) -> str:
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)


def test_lookup_by_number_and_last_six(window_case, household_in):
    _, head, _ = household_in
    c = Client()
    r = c.post("/portal/lookup/", {"number": window_case.number, "id6": head.id_number[-6:]})
    body = r.content.decode()
    assert r.status_code == 200 and "已提交，等待受理" in body and "最低生活保障申请" in body and "王*国" in body
    assert "王建国" not in body and head.id_number_masked not in body

    with CaptureQueriesContext(connection) as wrong_id_q:
        wrong_id = c.post("/portal/lookup/", {"number": window_case.number, "id6": "123456"})
    wrong_number = window_case.number[:-1] + ("1" if window_case.number[-1] != "1" else "2")
    with CaptureQueriesContext(connection) as wrong_no_q:
        wrong_no = c.post("/portal/lookup/", {"number": wrong_number, "id6": head.id_number[-6:]})
    assert wrong_id.status_code == wrong_no.status_code == 200
    assert _strip(wrong_id.content.decode()) == _strip(wrong_no.content.decode())
    assert "未查询到匹配的办件" in wrong_id.content.decode() and window_case.number not in wrong_id.content.decode()
    assert len(wrong_id_q) == len(wrong_no_q)  # the same work either way
    assert AuditEvent.objects.filter(object_type="portal.lookup", channel="portal").count() == 3


def test_lookup_is_rate_limited(window_case, household_in, monkeypatch):
    _, head, _ = household_in
    monkeypatch.setattr(views_track, "LOOKUPS_PER_NUMBER_HOUR", 3)
    c = Client()
    codes = [c.post("/portal/lookup/", {"number": window_case.number, "id6": "00000" + str(i)}).status_code
             for i in range(4)]  # fmt: skip
    assert codes == [200, 200, 200, 429]
    r = c.post("/portal/lookup/", {"number": window_case.number, "id6": head.id_number[-6:]})
    assert r.status_code == 429 and "最低生活保障申请" not in r.content.decode()  # even the right answer waits

    monkeypatch.setattr(views_track, "LOOKUPS_PER_IP_HOUR", 6)
    other = [Client(REMOTE_ADDR="10.0.0.9").post("/portal/lookup/", {"number": f"DB-X-{i}", "id6": "000000"})
             .status_code for i in range(7)]  # fmt: skip
    assert other == [200] * 6 + [429]

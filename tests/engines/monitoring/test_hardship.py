"""一键报贫: validation, the alert in the township's list with its deadline, anonymous reports and
photos, the reply by SMS, and the API for the 12345 hotline (a scoped token that can read nothing
else) and for staff."""

from __future__ import annotations

import base64

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.utils import timezone

from minzheng.engines.monitoring import selectors
from minzheng.engines.monitoring.models import Alert, HardshipReport
from minzheng.engines.monitoring.services import hardship_reply, hardship_report
from minzheng.foundation.accounts.services import token_issue
from minzheng.foundation.audit.models import AuditEvent
from minzheng.foundation.calendar.services import add_working_days
from minzheng.foundation.notify.models import Message
from tests.conftest import ANYANG, ANYANG_VILLAGE, RUIAN, TANGXIA_VILLAGE

# a 1×1 PNG
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def report(**kw):
    kw.setdefault("channel", "portal")
    kw.setdefault("description", "老人独居，腿脚不便，冬天没有取暖")
    kw.setdefault("region_code", ANYANG_VILLAGE)
    return hardship_report(**kw)


@pytest.mark.django_db
def test_report_becomes_an_alert_in_the_townships_list_with_a_due_date(regions, anyang_user, tangxia_user):
    r = report(reporter_name="张热心", reporter_phone="13800001234", subject_name="李奶奶", address="安阳路8号")
    year = timezone.localdate().year
    assert r.number.startswith(f"BP{year}") and r.reporter_phone == "13800001234"
    assert r.reporter_phone_masked == "138****1234"
    a = r.alert
    assert a.rule_id == "hardship_report" and a.office_code == ANYANG and a.state == "open"
    assert a.due == add_working_days(timezone.localdate(), 5)
    assert a.subject_name == "李奶奶" and a.evidence["description"].startswith("老人独居")
    assert list(selectors.alert_search(user=anyang_user, state="open")) == [a]
    assert not selectors.alert_search(user=tangxia_user).exists()
    assert AuditEvent.objects.filter(object_type="monitoring.hardshipreport", object_id=r.number).exists()
    assert Message.objects.filter(recipient=anyang_user, subject="新的困难报告").count() == 1


@pytest.mark.django_db
def test_each_report_gets_a_random_access_code_kept_only_hashed(regions):
    """Issue 14 item 2: the reporter's 查询码 — 60 random bits in an unambiguous alphabet, given
    once, stored as its blind index; the reference number alone opens nothing."""
    from minzheng.engines.monitoring.report_codes import ALPHABET, code_hash, code_normalise

    a, b = report(reporter_phone="13800001234"), report(anonymous=True)
    for r in (a, b):
        code = code_normalise(r.access_code)
        assert len(code) == 12 and set(code) <= set(ALPHABET) and not set(code) & set("ILOU")
        stored = HardshipReport.objects.get(pk=r.pk)
        assert stored.access_code_hash == code_hash(code) and code not in stored.access_code_hash
    assert a.access_code != b.access_code
    assert selectors.report_by_code(number=a.number, code=a.access_code).pk == a.pk
    assert selectors.report_by_code(number=a.number, code=a.access_code.lower().replace("-", "")).pk == a.pk
    assert selectors.report_by_code(number=a.number, code=b.access_code) is None
    assert selectors.report_by_code(number=b.number, code=a.access_code) is None
    assert selectors.report_by_code(number="BP0000000000", code=a.access_code) is None
    assert selectors.report_by_code(number=a.number, code="") is None
    # the code is written nowhere else
    assert not any(a.access_code in str(e.changes) + e.summary for e in AuditEvent.objects.all())


@pytest.mark.django_db
def test_a_new_access_code_voids_the_old_one(regions, anyang_user, tangxia_user, leader_user):
    from minzheng.engines.monitoring.services import hardship_report_code_reset

    r = report(reporter_phone="13800001234")
    HardshipReport.objects.filter(pk=r.pk).update(access_code_hash="")  # reported before codes existed
    assert selectors.report_by_code(number=r.number, code="") is None
    for other in (tangxia_user, leader_user):  # another township; may view, not handle
        with pytest.raises(PermissionDenied):
            hardship_report_code_reset(user=other, report=r)
    first = hardship_report_code_reset(user=anyang_user, report=r)
    second = hardship_report_code_reset(user=anyang_user, report=r)
    assert selectors.report_by_code(number=r.number, code=first) is None
    assert selectors.report_by_code(number=r.number, code=second).pk == r.pk
    events = AuditEvent.objects.filter(object_id=r.number, summary__contains="查询码")
    assert events.count() == 2 and not any(second in str(e.changes) + e.summary for e in events)


@pytest.mark.django_db
def test_validation_in_chinese(regions):
    with pytest.raises(ValidationError) as exc:
        report(description=" ", region_code=RUIAN, reporter_phone="12345")
    errors = exc.value.message_dict
    assert "请描述困难情况" in errors["description"][0]
    assert "村（社区）" in errors["region_code"][0]
    assert "手机号" in errors["reporter_phone"][0]
    with pytest.raises(ValidationError, match="村"):
        report(region_code="330381999999")
    assert report(region_code=ANYANG, reporter_phone="0577-65812345").reporter_phone == "0577-65812345"
    assert HardshipReport.objects.count() == 1 and Alert.objects.count() == 1


@pytest.mark.django_db
def test_anonymous_report_with_a_photo_keeps_no_name_or_phone(regions):
    r = report(anonymous=True, reporter_name="不留名", reporter_phone="13800001234", photo=PNG, photo_name="现场.png")
    assert (r.reporter_name, r.reporter_phone, r.reporter_phone_masked) == ("", "", "")
    assert r.photo.kind == "png" and r.photo.uploaded_by is None
    assert r.alert.evidence["reporter"] == "匿名"
    with pytest.raises(ValidationError):
        report(photo=b"%PDF-1.4 not an image", photo_name="x.pdf")


@pytest.mark.django_db
def test_staff_entry_needs_monitoring_handle_there(regions, anyang_user, tangxia_user):
    assert report(channel="workbench", user=anyang_user).alert.office_code == ANYANG
    with pytest.raises(PermissionDenied):
        report(channel="workbench", user=tangxia_user)
    assert report(channel="workbench", user=tangxia_user, region_code=TANGXIA_VILLAGE).region_code == TANGXIA_VILLAGE


@pytest.mark.django_db
def test_reply_is_stored_sent_by_sms_and_closes_nothing(regions, anyang_user, tangxia_user):
    r = report(reporter_phone="13800001234")
    with pytest.raises(PermissionDenied):
        hardship_reply(user=tangxia_user, report=r, reply="x")
    with pytest.raises(ValidationError):
        hardship_reply(user=anyang_user, report=r, reply=" ")
    hardship_reply(user=anyang_user, report=r, reply="已入户核实，协助申请临时救助")
    r.refresh_from_db()
    assert r.reply.startswith("已入户") and r.replied_at is not None and r.alert.state == "open"
    sms = Message.objects.get(channel="sms")
    assert sms.phone == "13800001234" and r.number in sms.body
    landline = report(reporter_phone="0577-65812345")
    hardship_reply(user=anyang_user, report=landline, reply="已核实")
    assert Message.objects.filter(channel="sms").count() == 1


# ---------------------------------------------------------------- API


@pytest.fixture
def hotline(make_user):
    user = make_user("hotline12345", ("leader", RUIAN))
    c = Client()
    c.defaults["HTTP_AUTHORIZATION"] = f"Bearer {token_issue(user=user, name='12345', scopes=['hardship:report'])}"
    return c


def staff_client(user) -> Client:
    c = Client()
    c.defaults["HTTP_AUTHORIZATION"] = f"Bearer {token_issue(user=user, name='t')}"
    return c


BODY = {"description": "一家三口，父亲重病住院，无收入", "region_code": ANYANG_VILLAGE, "reporter_name": "市民",
        "reporter_phone": "13900002222"}  # fmt: skip


@pytest.mark.django_db
def test_hotline_token_posts_a_report_reads_the_reply_and_nothing_else(regions, hotline, anyang_user):
    r = hotline.post("/api/v1/hardship-reports", BODY, content_type="application/json")
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["channel"] == "hotline" and body["state"] == "open" and body["due"]
    report_ = HardshipReport.objects.get(number=body["number"])
    # the caller's 查询码, told by the hotline: given once, then only its hash is kept
    assert selectors.report_by_code(number=body["number"], code=body["access_code"]) == report_
    hardship_reply(user=anyang_user, report=report_, reply="已联系家属")
    got = hotline.get(f"/api/v1/hardship-reports/{body['number']}").json()
    assert got["reply"] == "已联系家属" and "access_code" not in got
    assert hotline.get("/api/v1/persons").status_code == 401
    assert hotline.get("/api/v1/households").status_code == 401
    other = report()  # a portal report: not the hotline's to read
    assert hotline.get(f"/api/v1/hardship-reports/{other.number}").status_code == 404
    bad = hotline.post("/api/v1/hardship-reports", {**BODY, "region_code": "330381"}, content_type="application/json")
    assert bad.status_code == 422 and "region_code" in bad.json()["errors"]


@pytest.mark.django_db
def test_staff_tokens_with_monitoring_handle_may_post(regions, anyang_user, leader_user):
    c = staff_client(anyang_user)
    r = c.post("/api/v1/hardship-reports", {**BODY, "channel": "grid"}, content_type="application/json")
    assert r.status_code == 201 and r.json()["channel"] == "grid"
    assert c.get(f"/api/v1/hardship-reports/{r.json()['number']}").status_code == 200
    leader = staff_client(leader_user)  # may view, not handle
    assert leader.post("/api/v1/hardship-reports", BODY, content_type="application/json").status_code == 403
    assert Client().post("/api/v1/hardship-reports", BODY, content_type="application/json").status_code == 401

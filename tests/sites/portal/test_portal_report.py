"""一键报贫 on the portal: with and without sign-in, anonymous, the place picker without JavaScript
(down to the village, only real villages or townships), the photo (an image accepted, anything
else refused), the township's alert with its due date, the throttle, and the status and reply read
back with the reference number plus the random 查询码 shown on the confirmation page (anonymous:
the status only). Issue 14 item 2: the sequential number plus four phone digits opens nothing; a
wrong code, a report without a code and an unknown number answer the same; failed look-ups are
limited per address and per report."""

from __future__ import annotations

import base64
import re

import pytest
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from minzheng.engines.monitoring.models import Alert, HardshipReport
from minzheng.engines.monitoring.services import hardship_reply
from minzheng.foundation.audit.models import AuditEvent
from minzheng.foundation.calendar.services import add_working_days
from minzheng.foundation.notify.services import phone_index_of
from minzheng.foundation.registry.normalise import mask_phone
from minzheng.sites.portal.models import Citizen
from minzheng.sites.portal.session import SESSION_KEY
from tests.conftest import ANYANG, ANYANG_VILLAGE, RUIAN, TANGXIA

pytestmark = pytest.mark.django_db

PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)
URL = "/portal/report/"


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    cache.clear()


def _post(client, *, village=ANYANG_VILLAGE, township=ANYANG, **data):
    data.setdefault("description", "独居老人，腿脚不便，冬天没有取暖")
    data.setdefault("for_self", "0")
    data.setdefault("send", "1")
    place = {"township": township, "village": village}
    return client.post(URL, {**place, **{k: v for k, v in data.items() if v is not None}})


def _number(client) -> str:
    body = client.get("/portal/report/done/").content.decode()
    return re.search(r'id="report-number">(BP\d+)<', body).group(1)


def _code(client) -> str:
    body = client.get("/portal/report/done/").content.decode()
    return re.search(r'id="report-code">([0-9A-Z-]+)<', body).group(1)


def _lookup(number, code, client=None):
    return (client or Client()).post("/portal/report/find/", {"number": number, "code": code})


def test_report_without_sign_in_raises_the_townships_alert_with_a_due_date(regions, anyang_user):
    c = Client(enforce_csrf_checks=False)
    page = c.get(URL)
    body = page.content.decode()
    assert page.status_code == 200 and "一键报贫" in body and 'capture="environment"' in body
    assert 'accept="image/*"' in body and "style=" not in body and "<script>" not in body
    assert "请选择乡镇（街道）" in body  # province, city and county have one choice each here
    r = _post(c, reporter_name="张热心", reporter_phone="138 0000 1234", subject_name="李奶奶", address="安阳路8号")
    assert r.status_code == 302 and r.url == "/portal/report/done/"
    done = c.get(r.url).content.decode()
    report = HardshipReport.objects.get()
    assert report.number in done and "138****1234" in done
    assert report.channel == "portal" and report.reporter_phone == "13800001234" and not report.anonymous
    assert report.region_code == ANYANG_VILLAGE and report.subject_name == "李奶奶"
    alert = report.alert
    assert alert.office_code == ANYANG and alert.state == "open" and alert.rule_id == "hardship_report"
    assert alert.due == add_working_days(timezone.localdate(), 5)
    assert f"{alert.due:%Y}年" in done
    ev = AuditEvent.objects.get(object_type="monitoring.hardshipreport", object_id=report.number)
    assert ev.channel == "portal" and ev.ip == "127.0.0.1" and ev.actor_id is None
    # another browser has no confirmation to show
    assert Client().get("/portal/report/done/").status_code == 302


def test_signed_in_citizen_is_prefilled(household_in):
    _, head, _ = household_in
    phone = "13900005678"
    citizen = Citizen.objects.create(phone=phone, phone_index=phone_index_of(phone), phone_masked=mask_phone(phone),
                                     name="王建国", person=head)  # fmt: skip
    c = Client()
    session = c.session
    session[SESSION_KEY] = citizen.pk
    session.save()
    body = c.get(URL).content.decode()
    assert 'value="王建国"' in body and f'value="{phone}"' in body
    # the place starts at the citizen's own village
    assert f'<option value="{ANYANG_VILLAGE}" selected>' in body
    r = _post(c, reporter_name="王建国", reporter_phone=phone, for_self="1")
    assert r.status_code == 302
    report = HardshipReport.objects.get()
    assert report.for_self and report.subject_name == "王建国" and report.reporter_phone == phone
    ev = AuditEvent.objects.get(object_type="monitoring.hardshipreport", object_id=report.number)
    assert "王建国" in ev.actor_name and ev.channel == "portal"


def test_anonymous_report_keeps_no_name_and_shows_the_status_only(regions):
    c = Client()
    r = _post(c, anonymous="on", reporter_name="不留名", reporter_phone="13800001234")
    assert r.status_code == 302
    report = HardshipReport.objects.get()
    assert report.anonymous and (report.reporter_name, report.reporter_phone) == ("", "")
    done = c.get(r.url).content.decode()
    assert "匿名报告不显示报告内容和答复" in done
    code = _code(c)
    body = _lookup(report.number, code).content.decode()
    assert "已登记，等待乡镇（街道）核实" in body and "匿名报告" in body
    assert "独居老人" not in body
    hardship_reply(user=None, report=report, reply="已入户核实，纳入临时救助")
    body = _lookup(report.number, code).content.decode()
    assert "已答复" in body and "临时救助" not in body and "独居老人" not in body


def test_photo_accepted_and_non_image_refused(regions):
    c = Client()
    png = _upload("现场.png", PNG)
    assert _post(c, photo=png).status_code == 302
    report = HardshipReport.objects.get()
    assert report.photo is not None and report.photo.kind == "png"
    r = _post(c, photo=_upload("说明.pdf", b"%PDF-1.4 not an image"), description="第二户")
    assert r.status_code == 422 and HardshipReport.objects.count() == 1
    body = r.content.decode()
    assert "第二户" in body and 'class="err"' in body


def _upload(name, data):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, data, content_type="application/octet-stream")


def test_place_picker_works_without_javascript_and_needs_a_real_village_or_township(regions):
    c = Client()
    # choosing a township and pressing 列出下一级 reloads the form with its villages, text kept
    r = c.post(URL, {"township": ANYANG, "description": "写了一半", "pick": "1"})
    body = r.content.decode()
    assert r.status_code == 200 and "写了一半" in body and "请选择村（社区）" in body
    assert f'<option value="{ANYANG_VILLAGE}">' in body and HardshipReport.objects.count() == 0
    # changing the township drops the old village
    r = c.post(URL, {"township": TANGXIA, "village": ANYANG_VILLAGE, "pick": "1"})
    assert f'<option value="{ANYANG_VILLAGE}"' not in r.content.decode()
    # a GET link can start anywhere in the tree
    assert f'<option value="{ANYANG}" selected>' in c.get(f"{URL}?region={ANYANG_VILLAGE}").content.decode()
    # nothing below the county chosen: refused
    r = _post(c, township="", village="")
    assert r.status_code == 422 and "请选择困难对象所在的村（社区）或乡镇（街道）" in r.content.decode()
    # a made-up village is not kept: the report goes to the township chosen
    assert _post(c, village="330381001999").status_code == 302
    assert HardshipReport.objects.get().region_code == ANYANG
    # the JSON for report.js
    data = c.get("/portal/report/regions/", {"parent": ANYANG}).json()
    assert data["level"] == "village" and ANYANG_VILLAGE in [o["code"] for o in data["options"]]
    assert c.get("/portal/report/regions/", {"parent": RUIAN[:6]}).status_code == 400


def test_validation_messages_in_chinese(regions):
    r = _post(Client(), description=" ", reporter_phone="12345")
    body = r.content.decode()
    assert r.status_code == 422 and "请描述困难情况" in body and "手机号" in body
    assert Alert.objects.count() == 0


def test_reports_are_throttled_per_address(regions):
    c = Client()
    codes = [_post(c, description=f"第{i}户").status_code for i in range(6)]
    assert codes == [302] * 5 + [429]
    assert HardshipReport.objects.count() == 5
    assert "提交过于频繁" in _post(c).content.decode()
    # another address is not held up
    assert _post(Client(REMOTE_ADDR="10.0.0.9")).status_code == 302


def test_reply_needs_the_number_and_the_access_code(regions):
    c = Client()
    _post(c, reporter_name="张热心", reporter_phone="13800001234")
    report = HardshipReport.objects.get()
    assert _number(c) == report.number
    code = _code(c)
    assert re.fullmatch(r"[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}", code)
    hardship_reply(user=None, report=report, reply="已入户核实，符合临时救助条件")
    # the link on the confirmation page: the form, the number filled in, nothing of the report
    body = Client().get(f"/portal/report/{report.number}/").content.decode()
    assert f'value="{report.number}"' in body and 'name="code"' in body
    assert "已答复" not in body and "临时救助条件" not in body and "独居老人" not in body
    r = _lookup(report.number, "2222-2222-2222")
    assert r.status_code == 200 and "未查询到匹配的困难报告" in r.content.decode()
    assert "临时救助条件" not in r.content.decode()
    # typed loosely: lower case, spaces instead of hyphens, the number in lower case
    r = _lookup(report.number.lower(), code.lower().replace("-", " "))
    body = r.content.decode()
    assert r.status_code == 200 and "临时救助条件" in body and "独居老人" in body and "已答复" in body
    # a code that cannot be one is a mistake in the form, whatever the number
    r = _lookup(report.number, "12345")
    assert r.status_code == 422 and "查询码是12位字母和数字" in r.content.decode()
    # every answer is audited, the code never
    events = AuditEvent.objects.filter(object_type="portal.report_lookup").order_by("seq")
    assert [e.action for e in events] == ["lookup_failed", "lookup"]
    assert not AuditEvent.objects.filter(summary__contains=code).exists()
    assert all(code not in str(e.changes) for e in AuditEvent.objects.all())


def test_the_number_and_the_phone_tail_open_nothing(regions):
    """Before issue 14 the sequential number showed the status and the phone's last four digits
    opened the report."""
    c = Client()
    _post(c, reporter_name="张热心", reporter_phone="13800001234")
    report = HardshipReport.objects.get()
    hardship_reply(user=None, report=report, reply="已入户核实，符合临时救助条件")
    page = f"/portal/report/{report.number}/"
    for r in (
        Client().get(page),
        Client().post(page, {"tail": "1234"}),
        Client().post(page, {"number": report.number}),
    ):
        body = r.content.decode()
        assert "已答复" not in body and "临时救助条件" not in body and "独居老人" not in body, r.status_code
        assert 'id="report-state"' not in body


def _same(body: str, number: str) -> str:
    body = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", body)
    # the number typed (or in the address) is echoed; nothing else may differ
    return body.replace(f'value="{number}"', 'value="<n>"').replace(f"/portal/report/{number}/", "/portal/report/<n>/")


def test_wrong_code_report_without_code_and_unknown_number_answer_the_same(regions):
    c = Client()
    _post(c, reporter_phone="13800001234")
    with_code = HardshipReport.objects.get()
    _post(c, description="第二户")
    without = HardshipReport.objects.exclude(pk=with_code.pk).get()
    HardshipReport.objects.filter(pk=without.pk).update(access_code_hash="")  # made before codes existed
    unknown = "BP" + "9" * 10
    numbers = (with_code.number, without.number, unknown)
    answers = [_lookup(n, "2222-2222-2222") for n in numbers]
    assert {r.status_code for r in answers} == {200}
    bodies = {_same(r.content.decode(), n) for r, n in zip(answers, numbers, strict=True)}
    assert len(bodies) == 1 and "未查询到匹配的困难报告" in bodies.pop()
    # the link with a number: the same page whether the number exists or not
    pages = [Client().get(f"/portal/report/{n}/") for n in (with_code.number, unknown)]
    assert {r.status_code for r in pages} == {200}
    assert len({_same(r.content.decode(), n) for r, n in zip(pages, (with_code.number, unknown), strict=True)}) == 1
    r = Client().get("/portal/report/find/?number=BP1/2")
    assert r.status_code == 200 and 'value="BP1/2"' in r.content.decode()


def test_failed_lookups_are_limited_per_address(regions):
    c = Client()
    _post(c, reporter_phone="13800001234")
    number, code = _number(c), _code(c)
    # twenty wrong tries from one address over different numbers, then that address waits
    codes = [_lookup(f"BP{i:010d}", "2222-2222-2222").status_code for i in range(20)]
    assert codes == [200] * 20
    r = _lookup(number, code)
    assert r.status_code == 429 and "查询过于频繁" in r.content.decode() and "独居老人" not in r.content.decode()
    # another address, with the right code, is not held up
    assert "独居老人" in _lookup(number, code, Client(REMOTE_ADDR="10.0.0.9")).content.decode()


def test_failed_lookups_are_limited_per_report(regions):
    c = Client()
    _post(c, reporter_phone="13800001234")
    number, code = _number(c), _code(c)
    _post(c, description="第二户")
    other_number, other_code = _number(c), _code(c)
    # ten wrong codes for one report, each from an address of its own
    for i in range(10):
        assert _lookup(number, "2222-2222-2222", Client(REMOTE_ADDR=f"10.1.0.{i}")).status_code == 200
    r = _lookup(number, code, Client(REMOTE_ADDR="10.2.0.1"))
    assert r.status_code == 429 and "独居老人" not in r.content.decode()
    # an unknown number is held up alike (the limit tells nothing about whether it exists)
    for i in range(10):
        _lookup("BP0000000000", "2222-2222-2222", Client(REMOTE_ADDR=f"10.3.0.{i}"))
    assert _lookup("BP0000000000", "2222-2222-2222", Client(REMOTE_ADDR="10.2.0.1")).status_code == 429
    # another report is not
    assert "第二户" in _lookup(other_number, other_code, Client(REMOTE_ADDR="10.2.0.1")).content.decode()

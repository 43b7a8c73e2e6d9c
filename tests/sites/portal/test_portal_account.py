"""The citizen's account on the portal: sign-in with a one-time SMS code (limits on requests and
attempts, same answer for known and unknown phones, safe redirects), real-name binding against the
checksum and the registry, whom a citizen may act for (代办), the inbox of their own messages,
large-text mode without JavaScript, and the home page."""

import datetime as dt
import re

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from minzheng.foundation.audit.models import AuditEvent
from minzheng.foundation.notify.models import Message
from minzheng.foundation.notify.services import notify_send, phone_index_of
from minzheng.sites.portal import services
from minzheng.sites.portal.models import ActingAs, Citizen, LoginCode
from minzheng.sites.portal.session import SESSION_KEY
from tests.conftest import ANYANG_VILLAGE, TANGXIA_VILLAGE
from tests.engines.cases.test_cases import staff  # noqa: F401  (fixture)

pytestmark = pytest.mark.django_db

PHONE = "13912345678"
OTHER = "13787654321"


def last_code(phone=PHONE) -> str:
    """The code of the latest sign-in SMS to ``phone``, read from the stored message (as the demo
    reads it from the workbench's message list or the server log)."""
    message = Message.objects.filter(phone_index=phone_index_of(phone), related_type="portal.login").first()
    return re.search(r"\b(\d{6})\b", message.body).group(1)


def request_code(client, phone=PHONE, **extra):
    return client.post("/portal/login/", {"phone": phone, **extra})


def sign_in(client, phone=PHONE, next_url=None) -> Citizen:
    r = request_code(client, phone, **({"next": next_url} if next_url else {}))
    assert r.status_code == 302 and r["Location"] == "/portal/login/code/"
    r = client.post("/portal/login/code/", {"code": last_code(phone), "action": "verify"})
    assert r.status_code == 302
    return Citizen.objects.get(phone_index=phone_index_of(phone))


def _age_codes(phone=PHONE, minutes=2):
    LoginCode.objects.filter(phone_index=phone_index_of(phone)).update(
        created_at=timezone.now() - dt.timedelta(minutes=minutes)
    )


# -- sign-in ----------------------------------------------------------------------------------------


def test_code_request_stores_message_and_sign_in_works():
    c = Client()
    assert c.get("/portal/login/").status_code == 200
    r = request_code(c, "139 1234 5678", next="/portal/account/")
    assert r.status_code == 302
    message = Message.objects.get(related_type="portal.login")
    assert message.channel == "sms" and message.phone_masked == "139****5678" and message.phone == PHONE
    assert "验证码" in message.body and message.phone_index == phone_index_of(PHONE)
    code = last_code()
    login = LoginCode.objects.get()
    assert code not in login.code_hash and len(login.code_hash) == 64  # only an HMAC is kept
    page = c.get("/portal/login/code/").content.decode()
    assert "139****5678" in page and 'autocomplete="one-time-code"' in page and 'inputmode="numeric"' in page
    r = c.post("/portal/login/code/", {"code": code, "action": "verify"})
    assert r.status_code == 302 and r["Location"] == "/portal/account/"
    citizen = Citizen.objects.get()
    assert citizen.phone == PHONE and citizen.phone_masked == "139****5678" and citizen.last_login_at
    assert c.session[SESSION_KEY] == citizen.pk
    event = AuditEvent.objects.get(action="login", object_type="portal.citizen")
    assert event.channel == "portal" and event.object_id == str(citizen.pk) and "首次" in event.summary
    assert c.get("/portal/account/").status_code == 200
    # the code is spent
    with pytest.raises(ValidationError, match="已失效"):
        services.login_code_verify(phone=PHONE, code=code)
    _age_codes()
    # second sign-in: the same citizen, no new account
    c3 = Client()
    assert sign_in(c3).pk == citizen.pk and Citizen.objects.count() == 1


def test_the_demo_reads_the_code_in_the_workbench_message_list(make_user):
    from tests.conftest import RUIAN

    admin = make_user("ra_admin", ("admin", RUIAN))
    request_code(Client())
    workbench = Client()
    workbench.force_login(admin)
    page = workbench.get("/messages/outbox/").content.decode()
    assert "139****5678" in page and last_code() in page


def test_sign_in_page_for_the_code_needs_a_phone_first():
    r = Client().get("/portal/login/code/")
    assert r.status_code == 302 and r["Location"] == "/portal/login/"


def test_invalid_phone_and_code_are_explained():
    c = Client()
    r = request_code(c, "12345")
    assert r.status_code == 422 and "请输入11位手机号码" in r.content.decode()
    assert not Message.objects.exists() and not LoginCode.objects.exists()
    request_code(c)
    r = c.post("/portal/login/code/", {"code": "12ab", "action": "verify"})
    assert r.status_code == 422 and "6位数字验证码" in r.content.decode()
    assert LoginCode.objects.get().attempts == 0


def test_five_wrong_codes_void_the_code():
    c = Client()
    request_code(c)
    code = last_code()
    wrong = f"{(int(code) + 1) % 1000000:06d}"
    for left in (4, 3, 2, 1):
        r = c.post("/portal/login/code/", {"code": wrong, "action": "verify"})
        assert r.status_code == 422 and f"还可以再试 {left} 次" in r.content.decode()
    r = c.post("/portal/login/code/", {"code": wrong, "action": "verify"})
    assert "已失效，请重新获取" in r.content.decode()
    assert LoginCode.objects.get().attempts == 5
    assert AuditEvent.objects.filter(action="login_failed", object_type="portal.logincode").exists()
    r = c.post("/portal/login/code/", {"code": code, "action": "verify"})  # the right one, too late
    assert r.status_code == 422 and "验证码已失效或已过期" in r.content.decode()
    assert not Citizen.objects.exists() and SESSION_KEY not in c.session


def test_code_expires_after_its_lifetime():
    c = Client()
    request_code(c)
    LoginCode.objects.update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    r = c.post("/portal/login/code/", {"code": last_code(), "action": "verify"})
    assert r.status_code == 422 and "已过期" in r.content.decode()
    assert LoginCode.objects.get().expires_at - LoginCode.objects.get().created_at <= dt.timedelta(minutes=10)


def test_a_new_code_replaces_the_old_one():
    c = Client()
    request_code(c)
    first = last_code()
    _age_codes()
    r = c.post("/portal/login/code/", {"action": "resend"})
    assert r.status_code == 200 and "已重新发送" in r.content.decode()
    second = last_code()
    if first != second:
        r = c.post("/portal/login/code/", {"code": first, "action": "verify"})
        assert r.status_code == 422
    r = c.post("/portal/login/code/", {"code": second, "action": "verify"})
    assert r.status_code == 302


def test_resend_within_the_minute_is_refused_on_the_page():
    """The resend button posts no code: its refusal (one code a minute) is shown, not a server error."""
    c = Client()
    request_code(c)
    r = c.post("/portal/login/code/", {"action": "resend"})
    assert r.status_code == 429 and "获取验证码太频繁" in r.content.decode()
    assert LoginCode.objects.count() == 1


def test_rate_limit_per_phone():
    c = Client()
    assert request_code(c).status_code == 302
    r = request_code(c)
    assert r.status_code == 429 and "秒后再试" in r.content.decode()
    assert Message.objects.count() == 1 and LoginCode.objects.count() == 1  # nothing sent
    for _ in range(4):
        _age_codes()
        assert request_code(c).status_code == 302
    _age_codes()
    r = request_code(c)
    assert r.status_code == 429 and "一小时后再试" in r.content.decode()
    assert Message.objects.count() == 5
    _age_codes(minutes=61)
    assert request_code(c).status_code == 302


def test_rate_limit_per_address():
    c = Client(REMOTE_ADDR="10.1.2.3")
    for i in range(20):
        assert request_code(c, f"1360000{i:04d}").status_code == 302
    r = request_code(c, "13600009999")
    assert r.status_code == 429 and "您所在的网络" in r.content.decode()
    assert Message.objects.count() == 20
    # another address is not affected
    assert request_code(Client(REMOTE_ADDR="10.9.9.9"), "13600009999").status_code == 302


def test_same_answer_for_known_and_unknown_phones():
    Citizen.objects.create(phone=PHONE, phone_index=phone_index_of(PHONE), phone_masked="139****5678")
    known, unknown = Client(), Client()
    a, b = request_code(known, PHONE), request_code(unknown, OTHER)
    assert (a.status_code, a["Location"]) == (b.status_code, b["Location"])
    page_a = known.get("/portal/login/code/").content.decode().replace("139****5678", "X")
    page_b = unknown.get("/portal/login/code/").content.decode().replace("137****4321", "X")
    strip = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"')
    assert strip.sub("", page_a) == strip.sub("", page_b)
    assert Message.objects.filter(related_type="portal.login").count() == 2


@pytest.mark.parametrize(
    "next_url",
    [
        "https://evil.example/",
        "//evil.example/portal/",
        "/\\evil.example",
        "/portal/\\evil.example",
        "javascript:alert(1)",
        "/admin/",
        "/portal/login/",
        "",
    ],
)
def test_next_never_leaves_the_portal(next_url):
    c = Client()
    r = request_code(c, next=next_url)
    assert r.status_code == 302
    r = c.post("/portal/login/code/", {"code": last_code(), "action": "verify"})
    assert r["Location"] == "/portal/"


def test_next_to_a_portal_page_is_followed():
    c = Client()
    r = c.get("/portal/account/")
    assert r.status_code == 302 and r["Location"] == "/portal/login/?next=%2Fportal%2Faccount%2F"
    r = c.get("/portal/messages/?page=2&x=1")  # the whole path, query included, survives the trip
    assert r["Location"] == "/portal/login/?next=%2Fportal%2Fmessages%2F%3Fpage%3D2%26x%3D1"
    request_code(c, next="/portal/messages/?page=2")
    r = c.post("/portal/login/code/", {"code": last_code(), "action": "verify"})
    assert r["Location"] == "/portal/messages/?page=2"


def test_sign_out():
    c = Client()
    citizen = sign_in(c)
    assert c.get("/portal/logout/").status_code == 200  # a button, not a GET side effect
    assert SESSION_KEY in c.session
    r = c.post("/portal/logout/")
    assert r.status_code == 302 and r["Location"] == "/portal/?bye=1"
    assert SESSION_KEY not in c.session
    assert AuditEvent.objects.filter(action="logout", object_id=str(citizen.pk), channel="portal").exists()
    assert c.get("/portal/account/").status_code == 302


# -- real-name binding ------------------------------------------------------------------------------


def _bind(client, name, id_number):
    return client.post("/portal/account/", {"name": name, "id_number": id_number})


def test_binding_refuses_a_bad_checksum(ids):
    c = Client()
    citizen = sign_in(c)
    good = ids()
    bad = good[:17] + ("0" if good[17] != "0" else "1")
    r = _bind(c, "张三", bad)
    assert r.status_code == 422 and "校验位错误" in r.content.decode()
    citizen.refresh_from_db()
    assert citizen.verified_at is None and citizen.id_number == ""


def test_binding_links_the_registry_person_when_the_name_matches(household_in):
    _, head, _ = household_in
    c = Client()
    citizen = sign_in(c)
    r = _bind(c, "王建国", head.id_number.lower())
    assert r.status_code == 302 and r["Location"] == "/portal/account/?bound=1"
    citizen.refresh_from_db()
    assert citizen.person == head and citizen.name == "王建国" and citizen.verified_at
    assert citizen.id_number == head.id_number and citizen.id_number_masked == head.id_number_masked
    page = c.get("/portal/account/?bound=1").content.decode()
    assert head.id_number_masked in page and head.id_number not in page and "实名认证成功" in page
    assert "李秀英" in page  # the family member the citizen may apply for
    event = AuditEvent.objects.get(action="bind", object_id=str(citizen.pk))
    assert event.channel == "portal" and head.id_number not in event.summary
    # bound once: no rebinding online
    r = _bind(c, "王建国", head.id_number)
    assert r.status_code == 409


def test_binding_refuses_a_name_that_does_not_match_the_registry(household_in):
    _, head, _ = household_in
    c = Client()
    citizen = sign_in(c)
    r = _bind(c, "王建民", head.id_number)
    assert r.status_code == 409 and "姓名与身份证号不一致" in r.content.decode()
    citizen.refresh_from_db()
    assert citizen.verified_at is None and citizen.person is None
    assert AuditEvent.objects.filter(action="bind_refused", object_id=str(citizen.pk)).count() == 1


def test_binding_attempts_are_limited(household_in):
    _, head, _ = household_in
    c = Client()
    sign_in(c)
    for _ in range(5):
        assert _bind(c, "王建民", head.id_number).status_code == 409
    r = _bind(c, "王建国", head.id_number)
    assert r.status_code == 429 and "明天再试" in r.content.decode()


def test_binding_without_registry_person_is_unlinked(ids):
    c = Client()
    citizen = sign_in(c)
    number = ids()
    assert _bind(c, "赵 六", number).status_code == 302
    citizen.refresh_from_db()
    assert citizen.verified_at and citizen.person is None and citizen.name == "赵 六"
    assert "不在本地登记库中" in c.get("/portal/account/").content.decode()


def test_one_citizen_per_id_number(ids):
    number = ids()
    first, second = Client(), Client()
    sign_in(first, PHONE)
    sign_in(second, OTHER)
    assert _bind(first, "赵六", number).status_code == 302
    r = _bind(second, "赵六", number)
    assert r.status_code == 409 and "已经绑定了其他手机号" in r.content.decode()
    assert Citizen.objects.filter(verified_at__isnull=False).count() == 1


# -- 代办 ----------------------------------------------------------------------------------------


def _citizen(phone, person=None, **extra):
    return Citizen.objects.create(
        phone=phone,
        phone_index=phone_index_of(phone),
        phone_masked="x",
        person=person,
        verified_at=timezone.now() if person or extra.pop("verified", False) else None,
        **extra,
    )


def test_acting_for_self_and_family(household_in, household_other):
    _, head, spouse = household_in
    _, other_head = household_other
    citizen = _citizen(PHONE, head, name="王建国")
    options = services.acting_options(citizen)
    assert [(o.acting_as, o.person) for o in options] == [(ActingAs.SELF, head), (ActingAs.FAMILY, spouse)]
    assert services.may_act_for(citizen, head) == ActingAs.SELF
    assert services.may_act_for(citizen, spouse) == ActingAs.FAMILY
    assert services.may_act_for(citizen, other_head) is None
    # not real-name bound: only themselves, nobody else
    unbound = _citizen(OTHER)
    assert [o.acting_as for o in services.acting_options(unbound)] == [ActingAs.SELF]
    assert services.may_act_for(unbound, spouse) is None


def test_village_assistant_registered_by_cli(household_in, household_other):
    _, head, spouse = household_in
    _, other_head = household_other
    call_command("portal", "assistant", "--phone", OTHER, "--region", ANYANG_VILLAGE)
    assistant = Citizen.objects.get(phone_index=phone_index_of(OTHER))
    assert assistant.assistant_region_code == ANYANG_VILLAGE
    assert AuditEvent.objects.filter(
        object_type="portal.citizen", object_id=str(assistant.pk), action="update"
    ).exists()
    # an assistant must be real-name bound before acting for anyone
    assert services.may_act_for(assistant, head) is None
    Citizen.objects.filter(pk=assistant.pk).update(verified_at=timezone.now(), name="村协理员")
    assistant.refresh_from_db()
    assert services.may_act_for(assistant, head) == ActingAs.ASSISTANT
    assert services.may_act_for(assistant, other_head) is None
    village = {o.person for o in services.acting_options(assistant) if o.acting_as == ActingAs.ASSISTANT}
    assert village == {head, spouse}
    call_command("portal", "assistant", "--phone", OTHER, "--clear")
    assistant.refresh_from_db()
    assert assistant.assistant_region_code == "" and services.may_act_for(assistant, head) is None


def test_assistant_region_must_be_a_village(regions):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="不是村"):
        call_command("portal", "assistant", "--phone", OTHER, "--region", ANYANG_VILLAGE[:9] + "000")
    with pytest.raises(CommandError, match="找不到"):
        call_command("portal", "assistant", "--phone", OTHER, "--region", "999999999999")
    assert TANGXIA_VILLAGE  # the fixture's second village exists for the scoping tests


# -- messages --------------------------------------------------------------------------------------


def test_inbox_shows_only_own_messages_and_marks_read():
    notify_send(channel="sms", phone=PHONE, subject="", body="您的低保申请已受理", related_type="cases.case")
    notify_send(channel="sms", phone=OTHER, subject="", body="别人的办件已办结")
    c = Client()
    citizen = sign_in(c)
    page = c.get("/portal/messages/").content.decode()
    assert "您的低保申请已受理" in page and "别人的办件已办结" not in page
    assert "登录验证码" not in page  # the sign-in codes stay out of the inbox
    assert "未读" in page
    mine = Message.objects.get(body="您的低保申请已受理")
    theirs = Message.objects.get(body="别人的办件已办结")
    r = c.post("/portal/messages/read/", {"id": theirs.pk})
    assert r.status_code == 302
    theirs.refresh_from_db()
    assert theirs.read_at is None
    c.post("/portal/messages/read/", {"id": mine.pk})
    mine.refresh_from_db()
    assert mine.read_at is not None
    assert services.citizen_unread_count(citizen) == 0


def test_inbox_holds_the_case_engine_sms(staff, household_in, django_capture_on_commit_callbacks, monkeypatch):  # noqa: F811
    from minzheng.engines.cases.services import case_act
    from minzheng.foundation.jobs import services as job_services
    from tests.engines.cases.test_cases import _materials, _open

    monkeypatch.setattr(job_services, "dispatch", lambda job_id: None)  # delivery is not under test
    _, head, _ = household_in
    case = _open(staff, household_in)
    _materials(staff, case)
    with django_capture_on_commit_callbacks(execute=True):
        case_act(user=staff["acceptor"], case=case, action="accept")
    c = Client()
    sign_in(c, head.phone)
    page = c.get("/portal/messages/").content.decode()
    sms = Message.objects.get(phone_index=phone_index_of(head.phone), related_type="cases.case")
    assert case.number in sms.body and sms.body in page


def test_mark_all_read():
    for i in range(3):
        notify_send(channel="sms", phone=PHONE, subject="", body=f"通知{i}")
    notify_send(channel="sms", phone=OTHER, subject="", body="别人的")
    c = Client()
    sign_in(c)
    c.post("/portal/messages/read/", {})
    assert not Message.objects.filter(phone_index=phone_index_of(PHONE), read_at__isnull=True).exists()
    assert Message.objects.get(body="别人的").read_at is None


# -- home, large text -----------------------------------------------------------------------------


def test_home_page_links_and_sign_in_state():
    c = Client()
    page = c.get("/portal/").content.decode()
    assert "网上办事大厅" in page and "公示公告" in page and 'href="/portal/notices/"' in page
    assert 'href="/portal/login/' in page and "我的消息" in page
    sign_in(c)
    page = c.get("/portal/").content.decode()
    assert "139****5678" in page and "请先完成实名认证" in page and "退出登录" in page


def test_large_text_toggle_without_javascript():
    c = Client()
    page = c.get("/portal/").content.decode()
    assert '<html lang="zh-CN">' in page and 'name="on" value="1"' in page
    r = c.post("/portal/large-text/", {"on": "1", "next": "/portal/notices/"})
    assert r.status_code == 302 and r["Location"] == "/portal/notices/"
    assert r.cookies["portal_large"].value == "1" and r.cookies["portal_large"]["httponly"]
    page = c.get("/portal/").content.decode()
    assert '<html lang="zh-CN" class="large">' in page and "标准字" in page
    # off-site next is ignored
    r = c.post("/portal/large-text/", {"on": "0", "next": "https://evil.example/"})
    assert r["Location"] == "/portal/"
    assert '<html lang="zh-CN">' in c.get("/portal/").content.decode()


def test_large_text_is_the_citizens_preference_on_another_device():
    c = Client()
    citizen = sign_in(c)
    c.post("/portal/large-text/", {"on": "1"})
    citizen.refresh_from_db()
    assert citizen.large_text
    other_device = Client()
    _age_codes()
    request_code(other_device)
    r = other_device.post("/portal/login/code/", {"code": last_code(), "action": "verify"})
    assert r.cookies["portal_large"].value == "1"
    assert 'class="large"' in other_device.get("/portal/").content.decode()

"""Notifications: stored, delivered after commit by one background job, retried, failures kept for
administrators; phones encrypted and masked; inbox and outbox pages scoped."""

import json
import logging
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.db import connection, transaction
from django.test import Client
from django.utils import timezone

from minzheng.foundation.accounts.models import User
from minzheng.foundation.audit.models import AuditEvent
from minzheng.foundation.jobs import services as job_services
from minzheng.foundation.jobs.models import JobRun
from minzheng.foundation.notify import services
from minzheng.foundation.notify.backends import Backend, DeliveryError, HttpSmsBackend, backend
from minzheng.foundation.notify.models import Message
from minzheng.foundation.notify.selectors import inbox_for, messages_for_admin
from minzheng.foundation.notify.services import (
    notify_deliver,
    notify_deliver_queued,
    notify_many,
    notify_mark_read,
    notify_retry,
    notify_send,
)
from tests.conftest import ANYANG, ANYANG_VILLAGE, RUIAN, TANGXIA, TANGXIA_VILLAGE

PHONE = "13800001111"
MASKED = "138****1111"


@backend("test_fail")
class FailingBackend(Backend):
    calls = 0

    def send(self, message):
        FailingBackend.calls += 1
        raise DeliveryError("网关拒绝：余额不足")


@backend("test_flaky")
class FlakyBackend(Backend):
    """Fails the first two attempts of every message."""

    def send(self, message):
        if message.attempts < 3:
            raise ConnectionError("connection reset")


@pytest.fixture(autouse=True)
def quick(monkeypatch):
    monkeypatch.setattr(services, "RETRY_DELAYS", (0, 0))
    FailingBackend.calls = 0


@pytest.fixture
def run_jobs_here(monkeypatch):
    """After-commit dispatch runs the job in this thread, inside the test's transaction (a worker
    thread would not see the uncommitted rows)."""
    monkeypatch.setattr(job_services, "dispatch", job_services.job_run)


@pytest.fixture
def admins(make_user):
    return {
        "anyang": make_user("anyang_admin", ("admin", ANYANG)),
        "tangxia": make_user("tangxia_admin", ("admin", TANGXIA)),
        "county": make_user("ruian_admin", ("admin", RUIAN)),
        "root": User.objects.create_superuser("root", "root@example.org", "x"),
    }


def _sms(body="您的验证码为 123456，5分钟内有效。", region_code=ANYANG_VILLAGE, **kw):
    return notify_send(channel="sms", subject="验证码", body=body, phone=PHONE, region_code=region_code, **kw)


# -- sending and delivery -----------------------------------------------------------------


@pytest.mark.django_db
def test_in_app_is_delivered_by_storing(anyang_user, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        m = notify_send(
            channel="in_app",
            subject="案件待审核",
            body="低保申请 2026-0001 待您审核",
            user=anyang_user,
            related_type="cases.case",
            related_id="2026-0001",
            region_code=ANYANG_VILLAGE,
        )
    assert (m.status, m.backend, m.recipient, m.read_at) == ("sent", "local", anyang_user, None)
    assert m.sent_at is not None and (m.related_type, m.related_id) == ("cases.case", "2026-0001")
    assert callbacks == []  # nothing to deliver after commit


@pytest.mark.django_db
def test_local_backend_delivers_after_commit_and_logs(
    anyang_user, run_jobs_here, django_capture_on_commit_callbacks, caplog
):
    caplog.set_level(logging.INFO, logger="minzheng.notify")
    with django_capture_on_commit_callbacks(execute=True):
        m = _sms()
        assert Message.objects.get(pk=m.pk).status == "queued"  # nothing is sent before the commit
    m.refresh_from_db()
    assert (m.status, m.backend, m.attempts, m.error) == ("sent", "local", 1, "")
    assert m.sent_at is not None
    job = JobRun.objects.get(kind="notify.deliver")
    assert (job.state, job.result) == ("succeeded", {"sent": 1, "failed": 0})
    logged = [r.getMessage() for r in caplog.records if r.name == "minzheng.notify"]
    assert any("123456" in line and MASKED in line for line in logged)  # the demo's one-time code
    assert not any(PHONE in line for line in logged)


@pytest.mark.django_db
def test_one_delivery_job_per_transaction(anyang_user, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks, transaction.atomic():
        _sms(body="一")
        _sms(body="二")
        try:
            with transaction.atomic():  # a savepoint rolled back drops its callback …
                _sms(body="三")
                raise RuntimeError
        except RuntimeError:
            pass
        notify_many(channel="sms", subject="", body="四", recipients=[{"phone": "13900002222"}, {"phone": PHONE}])
    assert callbacks == [services._enqueue_delivery]
    assert sorted(Message.objects.values_list("body", flat=True)) == sorted(["一", "二", "四", "四"])

    with django_capture_on_commit_callbacks() as callbacks, transaction.atomic():
        try:
            with transaction.atomic():
                _sms(body="五")
                raise RuntimeError
        except RuntimeError:
            pass
    assert callbacks == []  # … so a transaction whose only message was rolled back enqueues nothing


@pytest.mark.django_db
def test_failing_backend_fails_after_retries_without_breaking_the_transaction(
    anyang_user, settings, run_jobs_here, django_capture_on_commit_callbacks
):
    settings.MINZHENG_NOTIFY_BACKENDS = {"in_app": "local", "sms": "test_fail"}
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        note = notify_send(channel="in_app", subject="已受理", body="已受理", user=anyang_user)
        m = _sms()
    m.refresh_from_db()
    assert (m.status, m.attempts, m.backend, m.error) == ("failed", 3, "test_fail", "网关拒绝：余额不足")
    assert FailingBackend.calls == 3
    assert Message.objects.filter(pk=note.pk, status="sent").exists()  # the rest of the transaction stands
    assert JobRun.objects.get(kind="notify.deliver").state == "succeeded"  # the job itself did its work
    assert connection.in_atomic_block and Message.objects.count() == 2  # the connection is still usable


@pytest.mark.django_db
def test_passing_fault_retried_then_sent(anyang_user, settings):
    settings.MINZHENG_NOTIFY_BACKENDS = {"sms": "test_flaky"}
    m = _sms()
    assert notify_deliver_queued() == {"sent": 1, "failed": 0}
    m.refresh_from_db()
    assert (m.status, m.attempts, m.error) == ("sent", 3, "")


@pytest.mark.django_db
def test_unknown_backend_is_a_visible_failure(anyang_user, settings):
    settings.MINZHENG_NOTIFY_BACKENDS = {"email": "carrier_pigeon"}
    m = notify_send(channel="email", subject="通知", body="请补充材料", email="wang@example.org")
    assert notify_deliver_queued() == {"sent": 0, "failed": 1}
    m.refresh_from_db()
    assert m.status == "failed" and "未知的发送方式：carrier_pigeon" in m.error


@pytest.mark.django_db
def test_claimed_message_is_not_sent_twice_and_stale_claims_recovered(anyang_user):
    m = _sms()
    Message.objects.filter(pk=m.pk).update(status="sending", attempted_at=timezone.now())
    assert notify_deliver(message_id=m.pk) is None  # another worker holds it
    assert notify_deliver_queued() == {"sent": 0, "failed": 0}
    Message.objects.filter(pk=m.pk).update(attempted_at=timezone.now() - services.STALE_AFTER * 2)
    assert notify_deliver_queued() == {"sent": 1, "failed": 0}  # its worker died: sent now


@pytest.mark.django_db
def test_admin_retries_a_failed_message(anyang_user, admins, settings):
    settings.MINZHENG_NOTIFY_BACKENDS = {"sms": "test_fail"}
    m = _sms()
    notify_deliver_queued()
    m.refresh_from_db()
    with pytest.raises(PermissionDenied):
        notify_retry(user=anyang_user, message=m)
    with pytest.raises(PermissionDenied):
        notify_retry(user=admins["tangxia"], message=m)
    settings.MINZHENG_NOTIFY_BACKENDS = {"sms": "local"}
    m = notify_retry(user=admins["anyang"], message=m)
    assert (m.status, m.attempts, m.backend) == ("queued", 0, "local")
    ev = AuditEvent.objects.get(action="retry")
    assert (ev.object_type, ev.object_id, ev.region_code) == ("notify.message", str(m.pk), ANYANG_VILLAGE)
    assert MASKED in ev.summary and PHONE not in ev.summary
    with pytest.raises(ValidationError, match="只有发送失败的消息可以重发"):
        notify_retry(user=admins["anyang"], message=m)
    notify_deliver_queued()
    m.refresh_from_db()
    assert (m.status, m.attempts) == ("sent", 1)


@pytest.mark.django_db
def test_refused_without_a_usable_recipient(anyang_user):
    with pytest.raises(ValidationError, match="短信需要11位手机号"):
        notify_send(channel="sms", subject="", body="x", phone="0577-1234567")
    with pytest.raises(ValidationError, match="站内信需要接收人"):
        notify_send(channel="in_app", subject="", body="x")
    with pytest.raises(ValidationError, match="邮件需要有效的电子邮箱"):
        notify_send(channel="email", subject="", body="x", user=anyang_user)  # the user has no email
    with pytest.raises(ValidationError, match="消息内容不能为空"):
        notify_send(channel="in_app", subject="", body="  ", user=anyang_user)
    with pytest.raises(ValidationError, match="未知的消息渠道"):
        notify_send(channel="fax", subject="", body="x")
    with pytest.raises(ValidationError):  # all are checked before any is stored
        notify_many(channel="sms", subject="", body="x", recipients=[{"phone": PHONE}, {"phone": "123"}])
    assert not Message.objects.exists()
    m = notify_send(channel="sms", subject="", body="x", phone="+86 138-0000-1111")
    assert m.phone == PHONE


@pytest.mark.django_db
def test_smtp_and_console_backends(anyang_user, settings, capsys):
    settings.MINZHENG_NOTIFY_BACKENDS = {"email": "smtp", "sms": "console"}
    anyang_user.email = "anyang@example.org"
    notify_send(channel="email", subject="材料补正通知", body="请于5个工作日内补正材料。", user=anyang_user)
    _sms(body="验证码 654321")
    assert notify_deliver_queued() == {"sent": 2, "failed": 0}
    assert [(e.subject, e.to) for e in mail.outbox] == [("材料补正通知", ["anyang@example.org"])]
    out = capsys.readouterr().out
    assert "验证码 654321" in out and MASKED in out and PHONE not in out


# -- at rest ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_phone_encrypted_at_rest_and_masked(anyang_user):
    m = _sms()
    with connection.cursor() as cur:
        cur.execute("SELECT phone, phone_masked FROM notify_message WHERE id = %s", [m.pk])
        raw, masked = cur.fetchone()
    assert raw.startswith("sm4g:") and PHONE not in raw
    assert masked == MASKED
    assert Message.objects.get(pk=m.pk).phone == PHONE


# -- selectors and pages ------------------------------------------------------------------


def _client(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


@pytest.mark.django_db
def test_admin_outbox_scoped_by_region(anyang_user, tangxia_user, admins):
    mine = _sms(body="安阳的短信", region_code=ANYANG_VILLAGE)
    theirs = _sms(body="塘下的短信", region_code=TANGXIA_VILLAGE)
    nowhere = notify_send(channel="in_app", subject="", body="系统消息", user=anyang_user)
    assert list(messages_for_admin(admins["anyang"])) == [mine]
    assert list(messages_for_admin(admins["tangxia"])) == [theirs]
    assert set(messages_for_admin(admins["county"])) == {mine, theirs}
    assert set(messages_for_admin(admins["root"])) == {mine, theirs, nowhere}
    assert list(messages_for_admin(anyang_user)) == []  # a caseworker holds no jobs.manage

    page = _client(admins["anyang"]).get("/messages/outbox/")
    body = page.content.decode()
    assert page.status_code == 200
    assert "安阳的短信" in body and "塘下的短信" not in body and "系统消息" not in body
    assert MASKED in body and PHONE not in body
    assert _client(admins["anyang"]).post(f"/messages/outbox/{theirs.pk}/retry/").status_code == 404
    assert _client(anyang_user).get("/messages/outbox/").status_code == 403
    assert _client(anyang_user).post(f"/messages/outbox/{mine.pk}/retry/").status_code == 403


@pytest.mark.django_db
def test_outbox_shows_failure_and_retry_button(anyang_user, admins, settings):
    settings.MINZHENG_NOTIFY_BACKENDS = {"sms": "test_fail"}
    m = _sms()
    notify_deliver_queued()
    web = _client(admins["county"])
    body = web.get("/messages/outbox/?status=failed&channel=sms").content.decode()
    assert "发送失败" in body and "网关拒绝：余额不足" in body and "test_fail" in body and "重发" in body
    assert "验证码" not in web.get("/messages/outbox/?status=sent").content.decode()
    r = web.post(f"/messages/outbox/{m.pk}/retry/", {"status": "failed", "channel": "bogus\r\nX: y"})
    assert r.status_code == 302 and r["Location"] == "/messages/outbox/?status=failed"
    m.refresh_from_db()
    assert m.status == "queued"


@pytest.mark.django_db
def test_inbox_pages_show_own_messages_and_mark_read(anyang_user, tangxia_user):
    mine = notify_send(channel="in_app", subject="案件待审核", body="请审核 2026-0001", user=anyang_user)
    older = notify_send(channel="in_app", subject="旧消息", body="旧的", user=anyang_user)
    Message.objects.filter(pk=older.pk).update(created_at=timezone.now() - timezone.timedelta(days=1))
    theirs = notify_send(channel="in_app", subject="塘下的消息", body="不是你的", user=tangxia_user)
    _sms(body="短信不进站内信")

    box = inbox_for(anyang_user)
    assert ([m.pk for m in box.messages], box.unread) == ([mine.pk, older.pk], 2)

    web = _client(anyang_user)
    page = web.get("/messages/")
    body = page.content.decode()
    assert page.status_code == 200
    assert "案件待审核" in body and "2 条未读" in body and "塘下的消息" not in body and "短信不进站内信" not in body
    assert body.index("案件待审核") < body.index("旧消息")  # newest first
    assert "消息发送记录" not in body  # no outbox link for a caseworker

    assert web.get(f"/messages/{mine.pk}/read/").status_code == 405
    assert web.post(f"/messages/{theirs.pk}/read/").status_code == 404
    r = web.post(f"/messages/{mine.pk}/read/", headers={"hx-request": "true"})
    assert r.status_code == 200 and "已读" in r.content.decode() and 'id="msg-' in r.content.decode()
    mine.refresh_from_db()
    first_read = mine.read_at
    assert first_read is not None
    notify_mark_read(user=anyang_user, message=mine)
    mine.refresh_from_db()
    assert mine.read_at == first_read  # the first reading time is kept
    with pytest.raises(PermissionDenied):
        notify_mark_read(user=anyang_user, message=theirs)

    assert web.post("/messages/").status_code == 302  # 全部标为已读
    assert inbox_for(anyang_user).unread == 0 and inbox_for(tangxia_user).unread == 1
    assert Client().get("/messages/").status_code == 302  # login required


# -- the http_sms backend against a real socket ---------------------------------------------


class Gateway:
    def __init__(self):
        self.requests = []
        self.status, self.body, self.delay, self.location = 200, b'{"code":0}', 0.0, None


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):  # the client gave up (timeout test): fine
        pass


@pytest.fixture
def gateway(settings):
    gw = Gateway()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            data = self.rfile.read(int(self.headers["Content-Length"]))
            gw.requests.append({"path": self.path, "type": self.headers["Content-Type"], "json": json.loads(data)})
            time.sleep(gw.delay)
            self.send_response(gw.status)
            if gw.location:
                self.send_header("Location", gw.location)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(gw.body)))
            self.end_headers()
            self.wfile.write(gw.body)

        def log_message(self, *args):
            pass

    server = _Server(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings.MINZHENG_SMS_URL = f"http://127.0.0.1:{server.server_address[1]}/sms/send"
    settings.MINZHENG_NOTIFY_BACKENDS = {"sms": "http_sms"}
    yield gw
    server.shutdown()
    server.server_close()
    thread.join(5)


def _deliver_one() -> Message:
    m = _sms()
    notify_deliver_queued()
    m.refresh_from_db()
    return m


@pytest.mark.django_db
def test_http_sms_posts_json_to_the_gateway(anyang_user, gateway):
    m = _deliver_one()
    assert (m.status, m.backend, m.attempts) == ("sent", "http_sms", 1)
    assert gateway.requests == [
        {
            "path": "/sms/send",
            "type": "application/json; charset=utf-8",
            "json": {"phone": PHONE, "text": "您的验证码为 123456，5分钟内有效。", "sign": "【民政】"},
        }
    ]


@pytest.mark.django_db
def test_http_sms_non_2xx_fails_after_three_attempts(anyang_user, gateway):
    gateway.status, gateway.body = 503, b"busy"
    m = _deliver_one()
    assert (m.status, m.attempts, m.error) == ("failed", 3, "短信网关返回 HTTP 503：busy")
    assert len(gateway.requests) == 3


@pytest.mark.django_db
def test_http_sms_redirect_is_not_followed(anyang_user, gateway):
    gateway.status, gateway.body, gateway.location = 302, b"", "/elsewhere"
    m = _deliver_one()
    assert m.status == "failed" and m.error == "短信网关返回 HTTP 302"
    assert {r["path"] for r in gateway.requests} == {"/sms/send"}


@pytest.mark.django_db
def test_http_sms_timeout_and_unreachable(anyang_user, gateway, settings, monkeypatch):
    monkeypatch.setattr(HttpSmsBackend, "timeout", 0.2)
    gateway.delay = 1.0
    m = _deliver_one()
    assert m.status == "failed" and m.error.startswith("短信网关连接失败")
    gateway.delay = 0
    settings.MINZHENG_SMS_URL = "http://127.0.0.1:9/sms"  # discard port: nothing listens
    m = _deliver_one()
    assert m.status == "failed" and m.error.startswith("短信网关连接失败")
    settings.MINZHENG_SMS_URL = ""
    assert _deliver_one().error == "未配置短信网关地址（MINZHENG_SMS_URL）"


# -- command line ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_cli_deliver_and_list(anyang_user, capsys):
    _sms()
    call_command("notify", "deliver")
    assert "已发送 1 条，失败 0 条" in capsys.readouterr().out
    call_command("notify", "list", "--limit", "5")
    out = capsys.readouterr().out
    row = json.loads(out.splitlines()[0])
    assert (row["channel"], row["to"], row["status"], row["backend"]) == ("sms", MASKED, "sent", "local")
    assert PHONE not in out

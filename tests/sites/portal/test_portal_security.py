"""Security of the citizen portal: a strict CSP and the other headers on portal pages only (the
workbench keeps working), no inline script or style in portal pages, CSRF on every form, cookies,
no session fixation, citizen and staff sessions kept apart, small pages."""

import re

import pytest
from django.test import Client

from minzheng.foundation.audit.models import AuditEvent
from minzheng.sites.portal.middleware import DEFAULT_CSP
from minzheng.sites.portal.session import SESSION_KEY
from tests.sites.portal.test_portal_account import PHONE, request_code, sign_in

pytestmark = pytest.mark.django_db

PORTAL_PAGES = ["/portal/", "/portal/login/", "/portal/notices/"]
SIGNED_IN_PAGES = ["/portal/", "/portal/account/", "/portal/messages/", "/portal/logout/"]


@pytest.mark.parametrize("path", PORTAL_PAGES)
def test_portal_pages_carry_the_security_headers(path):
    r = Client().get(path)
    assert r.status_code == 200
    assert r["Content-Security-Policy"] == DEFAULT_CSP
    for directive in ("default-src 'self'", "style-src 'self'", "script-src 'self'", "frame-ancestors 'none'",
                      "form-action 'self'", "base-uri 'none'", "img-src 'self' data:"):  # fmt: skip
        assert directive in r["Content-Security-Policy"]
    assert r["X-Frame-Options"] == "DENY"
    assert r["Referrer-Policy"] == "same-origin"
    assert r["Permissions-Policy"].startswith("camera=(self)") and "microphone=()" in r["Permissions-Policy"]
    assert r["X-Content-Type-Options"] == "nosniff"


def test_headers_also_on_redirects_and_errors():
    r = Client().get("/portal/account/")
    assert r.status_code == 302 and "Content-Security-Policy" in r
    r = Client().get("/portal/no-such-page/")
    assert r.status_code == 404 and "Content-Security-Policy" in r


def test_workbench_is_not_given_the_portal_policy(anyang_user):
    """The workbench has its own policy (as strict, see test_workbench_security), without the
    portal's camera permission."""
    r = Client().get("/login/")
    assert r.status_code == 200 and "camera=(self)" not in r.get("Permissions-Policy", "")
    c = Client()
    c.force_login(anyang_user)
    r = c.get("/")
    assert r.status_code == 200 and "camera=(self)" not in r.get("Permissions-Policy", "")


def _inline_code(html: str) -> list[str]:
    found = re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", html)
    found += re.findall(r"<style\b", html)
    found += re.findall(r"\sstyle=", html)
    found += re.findall(r"\son[a-z]+=", html)
    found += re.findall(r"""(?:href|src)=["']?(?:https?:)?//""", html)  # external assets or links
    return found


def test_portal_pages_have_no_inline_script_or_style_and_no_external_assets():
    c = Client()
    for path in PORTAL_PAGES:
        assert _inline_code(c.get(path).content.decode()) == [], path
    sign_in(c)
    for path in SIGNED_IN_PAGES:
        assert _inline_code(c.get(path).content.decode()) == [], path


def test_pages_are_small_and_use_one_local_stylesheet():
    from django.contrib.staticfiles import finders

    css = finders.find("portal/portal.css")
    with open(css, "rb") as fh:
        css_size = len(fh.read())
    c = Client()
    sign_in(c)
    for path in [*SIGNED_IN_PAGES, "/portal/notices/"]:
        html = c.get(path).content.decode()
        sheets = re.findall(r'<link rel="stylesheet" href="([^"]+)"', html)
        assert sheets == ["/static/portal/portal.css"], path
        assert len(html.encode()) + css_size < 200 * 1024, path


def test_every_input_has_a_label():
    c = Client()
    pages = [c.get("/portal/login/").content.decode()]
    request_code(c)
    pages.append(c.get("/portal/login/code/").content.decode())
    c.post("/portal/login/code/", {"code": _code(), "action": "verify"})
    pages.append(c.get("/portal/account/").content.decode())
    for html in pages:
        inputs = re.findall(r"<input(?![^>]*type=\"hidden\")[^>]*\bid=\"([^\"]+)\"", html)
        assert inputs, html[:200]
        for ident in inputs:
            assert f'<label for="{ident}"' in html, ident
    assert 'type="tel"' in pages[0]


def _code():
    from tests.sites.portal.test_portal_account import last_code

    return last_code()


def test_csrf_is_required_on_portal_forms():
    c = Client(enforce_csrf_checks=True)
    assert c.post("/portal/login/", {"phone": PHONE}).status_code == 403
    assert c.post("/portal/large-text/", {"on": "1"}).status_code == 403
    html = c.get("/portal/login/").content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
    r = c.post("/portal/login/", {"phone": PHONE, "csrfmiddlewaretoken": token})
    assert r.status_code == 302


def test_every_portal_form_posts_with_a_csrf_token():
    c = Client()
    sign_in(c)
    for path in SIGNED_IN_PAGES:
        html = c.get(path).content.decode()
        forms = re.findall(r"<form\b[^>]*>.*?</form>", html, flags=re.S)
        for form in forms:
            if 'method="post"' in form:
                assert "csrfmiddlewaretoken" in form, (path, form[:120])


def test_session_cookie_flags_and_a_new_session_at_sign_in(settings):
    c = Client()
    c.get("/portal/login/")
    request_code(c)
    before = c.cookies["sessionid"].value
    r = c.post("/portal/login/code/", {"code": _code(), "action": "verify"})
    cookie = r.cookies["sessionid"]
    assert cookie.value != before  # no session fixation
    assert cookie["httponly"] and cookie["samesite"] == "Lax"
    assert c.get("/portal/account/")["Cache-Control"] == "private, no-store"


def test_secure_cookies_when_configured(settings):
    settings.SESSION_COOKIE_SECURE = True
    r = Client().post("/portal/large-text/", {"on": "1"}, secure=True)
    assert r.cookies["portal_large"]["secure"]


def test_a_citizen_session_gives_no_workbench_access(household_in):
    c = Client()
    sign_in(c)
    for path in ("/", "/persons/", "/households/", f"/persons/{household_in[1].pk}/"):
        r = c.get(path)
        assert r.status_code == 302 and r["Location"].startswith("/login/"), path
    assert c.get("/api/v1/persons").status_code == 401


def test_a_staff_session_gives_no_citizen_access(anyang_user):
    c = Client()
    c.force_login(anyang_user)
    r = c.get("/portal/account/")
    assert r.status_code == 302 and r["Location"].startswith("/portal/login/")
    page = c.get("/portal/").content.decode()
    assert "anyang" not in page and 'href="/portal/login/' in page
    assert c.get("/").status_code == 200  # the staff login itself still works


def test_portal_audit_names_the_visitor_not_a_staff_user(anyang_user):
    c = Client()
    c.force_login(anyang_user)
    request_code(c)
    c.post("/portal/login/code/", {"code": _code(), "action": "verify"})
    event = AuditEvent.objects.get(action="login", object_type="portal.citizen")
    assert event.actor_id is None and event.channel == "portal" and event.actor_name.startswith("群众")
    assert SESSION_KEY in c.session


@pytest.mark.django_db(transaction=True)
def test_concurrent_code_requests_send_one_code():
    """The per-phone limit holds when requests race (a lock around count and insert)."""
    import threading

    from django.db import connection, connections

    from minzheng.foundation.notify.models import Message
    from minzheng.sites.portal import services

    if connection.vendor != "postgresql":
        pytest.skip("concurrency is tested on PostgreSQL")
    results, barrier = [], threading.Barrier(6)

    def request():
        barrier.wait()
        try:
            services.login_code_request(phone=PHONE, ip="10.0.0.1")
            results.append("sent")
        except services.Throttled:
            results.append("throttled")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=request) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == ["sent"] + ["throttled"] * 5
    assert Message.objects.filter(related_type="portal.login").count() == 1

"""Issue 14 item 9: the workbench's headers and accounts — a strict CSP, no ID number in a URL,
a password change that ends the other sessions and tokens, a locked account's tokens refused, and
reveals of full numbers throttled with one alert to the administrators."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.test import Client

from minzheng.foundation.accounts.models import ApiToken
from minzheng.foundation.accounts.services import token_issue
from tests.conftest import ANYANG, PASSWORD, RUIAN, TANGXIA

# --------------------------------------------------------------- a locked account's API tokens


def _fail_logins(username, times=5):
    c = Client()
    for _ in range(times):
        c.post("/login/", {"username": username, "password": "not-the-password"})


@pytest.mark.django_db
def test_locked_account_tokens_are_refused_with_a_chinese_message(anyang_user):
    plain = token_issue(user=anyang_user, name="script")
    api = Client(HTTP_AUTHORIZATION=f"Bearer {plain}")
    assert api.get("/api/v1/persons").status_code == 200

    _fail_logins("anyang")  # axes locks the username
    r = api.get("/api/v1/persons")
    assert r.status_code == 401
    assert "锁定" in r.json()["detail"] and "令牌" in r.json()["detail"]
    # a wrong token still gets the generic answer, no hint about accounts
    assert (
        Client().get("/api/v1/persons", HTTP_AUTHORIZATION="Bearer mz_forged").json()["detail"] == "未登录或令牌已过期"
    )


@pytest.mark.django_db
def test_locked_partner_token_is_refused_too(anyang_user):
    plain = token_issue(user=anyang_user, name="partner", scopes=["hardship:report"])
    _fail_logins("anyang")
    r = Client().post(
        "/api/v1/hardship-reports", {}, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {plain}"
    )
    assert r.status_code == 401 and "锁定" in r.json()["detail"]


@pytest.mark.django_db
def test_disabled_account_token_is_refused_with_a_reason(anyang_user):
    plain = token_issue(user=anyang_user, name="script")
    anyang_user.is_active = False
    anyang_user.save(update_fields=["is_active"])
    r = Client().get("/api/v1/persons", HTTP_AUTHORIZATION=f"Bearer {plain}")
    assert r.status_code == 401 and "停用" in r.json()["detail"]


@pytest.mark.django_db
def test_unlocked_account_tokens_work_again(anyang_user):
    from axes.utils import reset

    plain = token_issue(user=anyang_user, name="script")
    _fail_logins("anyang")
    reset(username="anyang")
    r = Client().get("/api/v1/persons", HTTP_AUTHORIZATION=f"Bearer {plain}")
    assert r.status_code == 200
    assert ApiToken.objects.get(user=anyang_user).last_used_at is not None


# --------------------------------------------------------------- a locked or disabled account's open sessions


def _session(username="anyang"):
    c = Client()
    assert c.post("/login/", {"username": username, "password": PASSWORD}).status_code == 302
    assert c.get("/").status_code == 200
    return c


def _ended(c, reason: str):
    """The session's next request is signed out and sent to the sign-in page with the reason, audited."""
    from minzheng.foundation.audit.models import AuditEvent

    r = c.get("/registry/persons/")
    assert r.status_code == 302 and r.url == "/login/"
    page = c.get(r.url)
    assert reason in page.content.decode() and "已退出登录" in page.content.decode()
    # signed out for good: the next page asks for a login again
    again = c.get("/")
    assert again.status_code == 302 and again.url.startswith("/login/?next=")
    row = AuditEvent.objects.filter(action="logout", object_type="accounts.user").get()
    assert row.actor_name == "anyang" and "会话已终止" in row.summary


@pytest.mark.django_db
def test_a_locked_accounts_open_workbench_session_is_signed_out_with_a_chinese_message(anyang_user):
    c = _session()
    _fail_logins("anyang")  # locked from another browser while this session is open
    _ended(c, "账号因登录失败次数过多已锁定")


@pytest.mark.django_db
def test_a_disabled_accounts_open_workbench_session_is_signed_out_with_a_chinese_message(anyang_user):
    c = _session()
    anyang_user.is_active = False
    anyang_user.save(update_fields=["is_active"])
    _ended(c, "账号已停用")


@pytest.mark.django_db
def test_an_htmx_request_of_a_locked_session_is_sent_to_the_sign_in_page(anyang_user):
    c = _session()
    _fail_logins("anyang")
    r = c.get("/", HTTP_HX_REQUEST="true")
    assert r.status_code == 204 and r["HX-Redirect"] == "/login/"


@pytest.mark.django_db
def test_an_unlocked_accounts_session_goes_on(anyang_user, tangxia_user):
    c = _session()
    _fail_logins("tangxia")  # another account's lockout ends no one else's session
    assert c.get("/").status_code == 200


# --------------------------------------------------------------- reveals of full numbers: N in M minutes


@pytest.fixture
def reveal_limit(settings):
    settings.MINZHENG_REVEAL_LIMIT = 3
    settings.MINZHENG_REVEAL_WINDOW_MINUTES = 10
    return 3


@pytest.fixture
def admins(make_user):
    """The county's administrator (over 安阳街道) and 塘下镇's (not over it)."""
    return make_user("ruian_admin", ("admin", RUIAN)), make_user("tangxia_admin", ("admin", TANGXIA))


@pytest.mark.django_db
def test_reveals_past_the_limit_are_refused_and_alert_the_administrators_once(
    anyang_user, household_in, admins, reveal_limit
):
    from minzheng.foundation.accounts.reveals import ALERT_TYPE
    from minzheng.foundation.audit.models import AuditEvent
    from minzheng.foundation.notify.models import Message

    household, head, spouse = household_in
    county_admin, _tangxia_admin = admins  # the latter is not over 安阳街道: no alert
    web = Client()
    web.force_login(anyang_user)
    api = Client(HTTP_AUTHORIZATION=f"Bearer {token_issue(user=anyang_user)}")

    # N reveals, on pages and over the API alike, are fine
    assert web.post(f"/persons/{head.pk}/reveal/id_number/").status_code == 200
    assert web.post(f"/households/{household.pk}/reveal/bank_account/").status_code == 200
    r = api.post(f"/api/v1/persons/{spouse.pk}/reveal", {"field": "id_number"}, content_type="application/json")
    assert r.status_code == 200 and r.json()["value"] == spouse.id_number

    # the N+1th is refused, in Chinese, without the number
    r = web.post(f"/persons/{spouse.pk}/reveal/id_number/")
    assert r.status_code == 429
    text = r.content.decode()
    assert "10分钟内查看完整号码已达3次" in text and spouse.id_number not in text
    r = api.post(f"/api/v1/persons/{head.pk}/reveal", {"field": "phone"}, content_type="application/json")
    assert r.status_code == 429 and "已达3次" in r.json()["detail"] and "value" not in r.json()
    assert web.post(f"/persons/{head.pk}/reveal/phone/").status_code == 429

    # three reveals audited, three refusals audited
    assert AuditEvent.objects.filter(actor_id=anyang_user.pk, action="reveal").count() == 3
    assert AuditEvent.objects.filter(actor_id=anyang_user.pk, action="reveal_refused").count() == 3

    # one alert, to the administrator over 安阳街道 only — not one per refused attempt
    alerts = Message.objects.filter(related_type=ALERT_TYPE)
    assert [m.recipient_id for m in alerts] == [county_admin.pk]
    alert = alerts.get()
    assert alert.channel == "in_app" and "anyang" in alert.subject and "3次" in alert.body
    assert head.id_number not in alert.body and spouse.id_number not in alert.body


@pytest.mark.django_db
def test_reveals_are_allowed_again_after_the_window(anyang_user, household_in, admins, reveal_limit, monkeypatch):
    import datetime as dt
    from types import SimpleNamespace

    from django.utils import timezone

    from minzheng.foundation.accounts import reveals
    from minzheng.foundation.notify.models import Message

    _, head, _ = household_in
    web = Client()
    web.force_login(anyang_user)
    for _ in range(3):
        assert web.post(f"/persons/{head.pk}/reveal/id_number/").status_code == 200
    assert web.post(f"/persons/{head.pk}/reveal/id_number/").status_code == 429

    later = timezone.now() + dt.timedelta(minutes=11)
    monkeypatch.setattr(reveals, "timezone", SimpleNamespace(now=lambda: later))
    assert web.post(f"/persons/{head.pk}/reveal/id_number/").status_code == 200
    assert Message.objects.filter(related_type=reveals.ALERT_TYPE).count() == 1


@pytest.mark.django_db
def test_reveal_limit_is_per_user(anyang_user, tangxia_user, reveal_limit):
    """The gate every reveal goes through (registry and the partner files' store): counted per actor."""
    from minzheng.foundation.accounts.reveals import RevealLimited, reveal_audit
    from minzheng.foundation.audit.context import acting_as, actor_for_user

    def reveal(user, row):
        with acting_as(actor_for_user(user)):
            reveal_audit(user=user, object_type="verification.sourcebatch", object_id=1, changes={"row_no": row})

    for n in range(3):
        reveal(anyang_user, n)
    with pytest.raises(RevealLimited):
        reveal(anyang_user, 9)
    reveal(tangxia_user, 1)  # another user's count is their own


# --------------------------------------------------------------- password change


def _signed_in(username, password):
    c = Client()
    r = c.post("/login/", {"username": username, "password": password})
    assert r.status_code == 302, r.content.decode()[:300]
    return c


@pytest.mark.django_db
def test_password_change_applies_the_policy_and_ends_other_sessions_and_tokens(anyang_user):
    from minzheng.foundation.audit.models import AuditEvent

    here = _signed_in("anyang", PASSWORD)
    elsewhere = _signed_in("anyang", PASSWORD)
    plain = token_issue(user=anyang_user, name="script")
    assert 'href="/account/password/"' in here.get("/").content.decode()  # in the user menu

    page = here.get("/account/password/")
    assert page.status_code == 200 and "原密码" in page.content.decode()
    # the policy: too short, too few character classes, the same as before, wrong old password
    for old, new, message in [
        (PASSWORD, "Ab1!", "8"),
        (PASSWORD, "abcdefghij", "至少三类"),
        (PASSWORD, PASSWORD, "不能与原密码相同"),
        ("Wrong@Pass1", "New@Pass2027", "原密码不正确"),
    ]:
        r = here.post("/account/password/", {"old_password": old, "new_password1": new, "new_password2": new})
        assert r.status_code == 422 and message in r.content.decode(), message
    anyang_user.refresh_from_db()
    assert anyang_user.check_password(PASSWORD)

    r = here.post(
        "/account/password/",
        {"old_password": PASSWORD, "new_password1": "New@Pass2027", "new_password2": "New@Pass2027"},
        follow=True,
    )
    assert r.status_code == 200 and "密码已修改" in r.content.decode() and "1 个接口令牌已失效" in r.content.decode()
    anyang_user.refresh_from_db()
    assert anyang_user.check_password("New@Pass2027")

    assert here.get("/persons/").status_code == 200  # this session goes on
    r = elsewhere.get("/persons/")  # the other one is signed out
    assert r.status_code == 302 and r["Location"].startswith("/login/")
    assert Client().get("/api/v1/persons", HTTP_AUTHORIZATION=f"Bearer {plain}").status_code == 401

    event = AuditEvent.objects.get(action="update", object_type="accounts.user", object_id=str(anyang_user.pk))
    assert event.changes == {"field": "password", "tokens_revoked": 1} and event.actor_id == anyang_user.pk
    assert "New@Pass2027" not in str(event.changes) + event.summary


def test_password_change_needs_a_login():
    r = Client().get("/account/password/")
    assert r.status_code == 302 and r["Location"].startswith("/login/")


# --------------------------------------------------------------- CSP on the workbench


WORKBENCH_TEMPLATES = Path(__file__).resolve().parents[3] / "minzheng" / "sites" / "workbench" / "templates"


def test_workbench_templates_have_no_inline_script_style_or_handler():
    """The CSP allows only this site's files: no <style>, inline <script>, style=, on…= or hx-on
    (htmx would eval it) in any workbench template."""
    found = []
    for path in WORKBENCH_TEMPLATES.rglob("*.html"):
        html = path.read_text()
        for pattern in (r"<script(?![^>]*\bsrc=)[^>]*>", r"<style\b", r"\sstyle=", r"\son[a-z]+=", r"\shx-on", r"js:"):
            found += [f"{path.name}: {m}" for m in re.findall(pattern, html)]
    assert found == []


@pytest.mark.django_db
def test_workbench_pages_carry_a_csp_as_strict_as_the_portals(anyang_user, household_in):
    from minzheng.sites.portal.middleware import DEFAULT_CSP as PORTAL_CSP

    household, head, _ = household_in
    web = Client()
    pages = {"/login/": Client().get("/login/")}
    web.force_login(anyang_user)
    for path in ("/", "/persons/", f"/persons/{head.pk}/", f"/households/{household.pk}/", "/account/password/",
                 "/cases/inbox/", "/messages/", "/no-such-page/"):  # fmt: skip
        pages[path] = web.get(path)
    for path, r in pages.items():
        csp = r.get("Content-Security-Policy", "")
        assert csp == PORTAL_CSP, path
        directives = dict(d.strip().split(" ", 1) for d in csp.split(";"))
        assert directives["script-src"] == "'self'" and directives["style-src"] == "'self'", path
        assert "unsafe-inline" not in csp and "unsafe-eval" not in csp, path
        assert directives["frame-ancestors"] == "'none'", path
    # htmx is told not to inject its indicator <style> nor to eval
    html = pages["/persons/"].content.decode()
    assert '"includeIndicatorStyles":false' in html and '"allowEval":false' in html
    # the API and the portal keep their own
    assert "Content-Security-Policy" not in web.get("/api/v1/persons")


# --------------------------------------------------------------- no ID number in a URL


def _all_urls(response) -> list[str]:
    """Every URL the browser would see: redirects, the final one, links and form actions in the page."""
    urls = [url for url, _ in getattr(response, "redirect_chain", [])]
    urls.append(response.request["PATH_INFO"] + "?" + response.request.get("QUERY_STRING", ""))
    urls += re.findall(r"""(?:href|action|hx-get|hx-post|hx-push-url)=["']([^"']*)["']""", response.content.decode())
    if response.get("HX-Push-Url"):
        urls.append(response["HX-Push-Url"])
    return urls


@pytest.mark.django_db
def test_searching_by_id_number_never_puts_it_in_a_url(anyang_user, household_in):
    household, head, spouse = household_in
    web = Client()
    web.force_login(anyang_user)

    # the person list's form posts to /search/ (no GET form carries the text)
    page = web.get("/persons/").content.decode()
    assert 'action="/search/"' in page and 'hx-post="/search/"' in page and "hx-get" not in page

    # a full ID number: 303 to a token URL; the results are right; nothing on the way holds the number
    r = web.post("/search/", {"q": head.id_number, "region": "", "next": "/persons/"})
    assert r.status_code == 303 and head.id_number not in r["Location"] and "?s=" in r["Location"]
    r = web.post("/search/", {"q": head.id_number, "next": "/persons/"}, follow=True)
    assert r.status_code == 200 and "共 1 人" in r.content.decode() and head.name in r.content.decode()
    assert spouse.name not in r.content.decode()
    for url in _all_urls(r):
        assert head.id_number not in url and head.id_number[6:14] not in url, url
    token_url = r.redirect_chain[-1][0]

    # htmx live search: the XHR follows the 303 with HX-Request and gets the rows
    r = web.post(
        "/search/", {"q": head.id_number.lower(), "next": "/persons/"}, headers={"HX-Request": "true"}, follow=True
    )
    assert "共 1 人" in r.content.decode() and "<html" not in r.content.decode()
    assert all(head.id_number not in url for url in _all_urls(r))

    # the same number gives the same token: back, forward and reload find it again
    again = web.get(token_url)
    assert again.status_code == 200 and head.name in again.content.decode()

    # an old-style GET ?q=<ID number> is sent to its token URL at once
    r = web.get("/persons/", {"q": head.id_number})
    assert r.status_code == 303 and head.id_number not in r["Location"]
    r = web.get("/households/", {"q": spouse.id_number}, follow=True)
    assert household.number in r.content.decode()
    assert all(spouse.id_number not in url for url in _all_urls(r))

    # a name stays readable
    r = web.post("/search/", {"q": "王建国", "next": "/persons/"})
    assert r["Location"] == "/persons/?q=%E7%8E%8B%E5%BB%BA%E5%9B%BD"

    # another user (or an ended session) cannot turn the token back into the number
    other = Client()
    other.force_login(anyang_user)
    r = other.get(token_url)
    assert r.status_code == 200 and "查询条件已过期" in r.content.decode()

    # /search/ goes on only to this site's pages
    assert web.post("/search/", {"q": "x", "next": "https://evil.example/"}).status_code == 400
    assert web.post("/search/", {"q": "x", "next": "//evil.example/"}).status_code == 400


@pytest.mark.django_db
def test_number_search_pagination_and_export_links_carry_only_the_token(anyang_user, regions, settings):
    from minzheng.foundation.regions.models import Region
    from minzheng.foundation.registry.bulk import registry_bulk_load
    from minzheng.foundation.registry.synthetic import Population

    villages = list(Region.objects.filter(code__startswith=ANYANG[:9], level="village").values_list("code", flat=True))
    registry_bulk_load(households=list(Population(villages=villages, hukou_region6="330381", seed=7).households(150)))
    web = Client()
    web.force_login(anyang_user)

    # a number typed in part (a household-number prefix: 9 digits) is tokenised too
    from minzheng.foundation.registry.selectors import household_search

    prefix = ANYANG[:9]
    expected = household_search(user=anyang_user, q=prefix).count()
    assert expected > 20
    r = web.post("/search/", {"q": prefix, "next": "/households/"}, follow=True)
    body = r.content.decode()
    assert f"共 {expected} 户" in body and "第 1 / " in body
    nxt = re.search(r'<a href="(\?[^"]*page=2)">下一页</a>', body).group(1).replace("&amp;", "&")
    assert "s=" in nxt and prefix not in nxt
    export = re.search(r'href="(\?[^"]*export=xlsx)"', body)
    assert export is None or prefix not in export.group(1)
    r2 = web.get("/households/" + nxt)
    assert "第 2 / " in r2.content.decode()
    for url in _all_urls(r) + _all_urls(r2):
        assert prefix not in url.partition("?")[2], url


@pytest.mark.django_db
def test_other_id_searches_post_too(anyang_user, household_in):
    """登记申请's and 发起核对's household picker, the 保障对象 list, 测算's household search, home."""
    household, head, _ = household_in
    web = Client()
    web.force_login(anyang_user)
    for path in ("/", "/cases/new/", "/verification/new/", "/benefits/enrollments/", "/benefits/assess/"):
        r = web.get(path)
        if r.status_code == 403:
            continue
        html = r.content.decode()
        forms = re.findall(r"<form\b[^>]*>", html)
        searches = [f for f in forms if 'action="/search/"' in f]
        assert searches, path
        assert not [f for f in forms if 'method="get"' in f or ("hx-get" in f)], path
    r = web.get("/cases/new/", {"q": head.id_number}, follow=True)
    assert household.number in r.content.decode()
    assert all(head.id_number not in url for url in _all_urls(r))


@pytest.mark.django_db
def test_api_searches_by_id_number_in_the_body(anyang_user, household_in):
    household, head, spouse = household_in
    api = Client(HTTP_AUTHORIZATION=f"Bearer {token_issue(user=anyang_user)}")
    r = api.post("/api/v1/persons/search", {"q": head.id_number}, content_type="application/json")
    assert r.status_code == 200 and [i["id"] for i in r.json()["items"]] == [head.pk] and r.json()["count"] == 1
    r = api.post("/api/v1/households/search", {"q": spouse.id_number, "limit": 5}, content_type="application/json")
    assert r.status_code == 200 and [i["number"] for i in r.json()["items"]] == [household.number]
    assert api.post("/api/v1/persons/search", {"limit": 0}, content_type="application/json").status_code == 422

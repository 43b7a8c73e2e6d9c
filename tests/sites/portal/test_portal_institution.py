"""The institution site of the portal (机构端, ADR 0020) and the public supervision pages: an account
bound to one entity signs in with its password and an SMS code, sees only its own entity (another
entity's objects are 404, on the pages and the API), is not a citizen (nor a citizen an
institution), is throttled after wrong passwords and codes; its rectification moves the hazard to
整改已提交 and is audited with the account as actor. Published draws show on the portal,
unpublished ones do not; the 机构查询 directory shows only what a kind registered as public."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.contrib.auth.hashers import check_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from minzheng.engines.supervision import institutions
from minzheng.engines.supervision import services as sup
from minzheng.engines.supervision.models import (
    AnnualReport,
    DrawPair,
    DrawPlan,
    HazardState,
    Rectification,
    TemplateItem,
)
from minzheng.engines.supervision.reports import report_template_create
from minzheng.foundation.accounts.services import token_issue
from minzheng.foundation.audit.models import AuditEvent
from minzheng.foundation.notify.models import Message
from minzheng.foundation.notify.services import phone_index_of
from tests.conftest import ANYANG, ANYANG_VILLAGE, RUIAN, TANGXIA_VILLAGE
from tests.engines.supervision.helpers import (
    KIND,
    PNG,
    entity_make,
    kind_declared,
    limits_set,
    signature,
    template_make,
)

PASSWORD = "Jigou#2026pass"
PHONE = "13955550001"
PHONE_B = "13955550002"


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def kind():
    with kind_declared() as k:
        yield k


@pytest.fixture
def county(make_user):
    return make_user("inst_county", ("approver", RUIAN), ("admin", RUIAN))


@pytest.fixture
def inspector(make_user):
    return make_user("inst_inspector", ("inspector", RUIAN))


def _inspected(county, inspector, region, serial, name):
    """A regulated entity with a completed fire inspection whose failed items are hazards."""
    entity = entity_make(county, region, serial=serial, name=name)
    s = sup.supervised_register(user=county, entity=entity, kind=KIND, status="operating",
                                attributes={"beds": "120", "nature": "public"})  # fmt: skip
    insp = sup.inspection_start(user=inspector, supervised=s, purpose="fire", inspected_on=timezone.localdate())
    for item in TemplateItem.objects.filter(section__template__code="T-FIRE", hazard_on_fail=True):
        sup.inspection_result_set(user=inspector, inspection=insp, item=item, outcome="fail", note="疏散通道堵塞")
    for item in TemplateItem.objects.filter(section__template__code="T-FIRE", hazard_on_fail=False):
        sup.inspection_result_set(user=inspector, inspection=insp, item=item, outcome="pass")
    insp = sup.inspection_complete(user=inspector, inspection=insp, conclusion="限期整改",
                                   inspector_signature=signature(inspector, region), representative_refused="拒签")  # fmt: skip
    return s, insp


@pytest.fixture
def world(kind, county, inspector):
    limits_set()
    template_make(county)
    own, insp = _inspected(county, inspector, ANYANG_VILLAGE, 501, "安阳颐养院")
    other, other_insp = _inspected(county, inspector, TANGXIA_VILLAGE, 502, "塘下敬老院")
    account = institutions.account_create(user=county, supervised=own, username="anyang.home", name="陈护理",
                                          phone=PHONE, password=PASSWORD)  # fmt: skip
    account_b = institutions.account_create(user=county, supervised=other, username="tangxia.home", name="李院长",
                                            phone=PHONE_B, password=PASSWORD)  # fmt: skip
    return {"own": own, "other": other, "account": account, "account_b": account_b,
            "hazard": insp.hazards.order_by("pk").first(), "other_hazard": other_insp.hazards.order_by("pk").first(),
            "county": county, "inspector": inspector}  # fmt: skip


def last_code(phone=PHONE) -> str:
    message = Message.objects.filter(phone_index=phone_index_of(phone), related_type="portal.institution").first()
    return re.search(r"\b(\d{6})\b", message.body).group(1)


def sign_in(client, username="anyang.home", phone=PHONE):
    r = client.post("/portal/institution/login/", {"username": username, "password": PASSWORD})
    assert r.status_code == 302 and r["Location"] == "/portal/institution/login/code/", r.content.decode()[:500]
    r = client.post("/portal/institution/login/code/", {"code": last_code(phone), "action": "verify"})
    assert r.status_code == 302 and r["Location"] == "/portal/institution/"
    return client


def signed(account) -> Client:
    client = Client()
    session = client.session
    session["portal_institution"] = account.pk
    session.save()
    return client


# -- accounts -------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_bureau_opens_an_account_audited_and_with_a_strong_password(kind, county, inspector, make_user):
    entity = entity_make(county, ANYANG_VILLAGE, serial=601)
    s = sup.supervised_register(user=county, entity=entity, kind=KIND)
    with pytest.raises(ValidationError) as weak:
        institutions.account_create(user=county, supervised=s, username="weak.one", name="王", phone=PHONE,
                                    password="12345678")  # fmt: skip
    assert "password" in weak.value.message_dict
    with pytest.raises(ValidationError) as bad:
        institutions.account_create(user=county, supervised=s, username="1x", name="", phone="123", password=PASSWORD)
    assert set(bad.value.message_dict) == {"username", "name", "phone"}
    clerk = make_user("inst_clerk", ("acceptor", ANYANG))
    with pytest.raises(PermissionDenied):
        institutions.account_create(user=clerk, supervised=s, username="home.one", name="王", phone=PHONE,
                                    password=PASSWORD)  # fmt: skip
    a = institutions.account_create(user=county, supervised=s, username="Home.One", name="王", phone=PHONE,
                                    password=PASSWORD)  # fmt: skip
    assert a.username == "home.one" and PASSWORD not in a.password and check_password(PASSWORD, a.password)
    event = AuditEvent.objects.get(action="supervision.institution_account_create")
    assert event.object_id == str(a.pk) and PASSWORD not in str(event.changes)


@pytest.mark.django_db
def test_the_workbench_entity_page_opens_an_account(world):
    web = Client()
    web.force_login(world["county"])
    page = web.get(f"/supervision/entities/{world['own'].pk}/")
    assert page.status_code == 200 and "机构端账号" in page.content.decode() and "anyang.home" in page.content.decode()
    r = web.post(f"/supervision/entities/{world['own'].pk}/accounts/",
                 {"username": "anyang.second", "name": "赵会计", "phone": "13955550009", "password": PASSWORD})  # fmt: skip
    assert r.status_code == 302
    assert institutions.accounts_of(world["own"]).filter(username="anyang.second").exists()
    r = web.post(f"/supervision/entities/{world['own'].pk}/accounts/",
                 {"username": "anyang.third", "name": "赵", "phone": "13955550009", "password": "abc"})  # fmt: skip
    assert r.status_code == 422
    # ended: it can no longer sign in
    r = web.post(f"/supervision/entities/{world['own'].pk}/accounts/{world['account'].pk}/end/", {"reason": "离职"})
    assert r.status_code == 302
    r = Client().post("/portal/institution/login/", {"username": "anyang.home", "password": PASSWORD})
    assert r.status_code == 422 and "登录名或密码不正确" in r.content.decode()


# -- sign-in --------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_sign_in_with_password_and_sms_code_shows_the_own_entity_only(world):
    client = sign_in(Client())
    page = client.get("/portal/institution/")
    text = page.content.decode()
    assert page.status_code == 200 and "安阳颐养院" in text and "塘下敬老院" not in text
    assert world["hazard"].description in text
    assert page["Cache-Control"] == "private, no-store" and "script-src 'self'" in page["Content-Security-Policy"]
    login = AuditEvent.objects.get(action="supervision.institution_login")
    assert login.actor_id is None and login.actor_name.startswith("机构 anyang.home") and login.channel == "portal"


@pytest.mark.django_db
def test_wrong_passwords_are_throttled_in_the_database(world):
    client = Client()
    for left in (4, 3, 2, 1):
        r = client.post("/portal/institution/login/", {"username": "anyang.home", "password": "Wrong#pass1"})
        assert r.status_code == 422 and f"还可以再试 {left} 次" in r.content.decode()
    r = client.post("/portal/institution/login/", {"username": "anyang.home", "password": "Wrong#pass1"})
    assert r.status_code == 422 and "暂停登录" in r.content.decode()
    # now even the right password is refused, from another browser too, and no code is sent
    r = Client().post("/portal/institution/login/", {"username": "anyang.home", "password": PASSWORD})
    assert r.status_code == 429 and "暂停登录30分钟" in r.content.decode()
    assert not Message.objects.filter(related_type="portal.institution").exists()
    # the other account is not affected
    sign_in(Client(), "tangxia.home", PHONE_B)


@pytest.mark.django_db
def test_wrong_sms_codes_void_the_code(world):
    client = Client()
    client.post("/portal/institution/login/", {"username": "anyang.home", "password": PASSWORD})
    good = last_code()
    wrong = "000000" if good != "000000" else "111111"
    for _ in range(4):
        r = client.post("/portal/institution/login/code/", {"code": wrong, "action": "verify"})
        assert r.status_code == 422 and "验证码不正确" in r.content.decode()
    r = client.post("/portal/institution/login/code/", {"code": wrong, "action": "verify"})
    assert "已失效" in r.content.decode()
    r = client.post("/portal/institution/login/code/", {"code": good, "action": "verify"})
    assert r.status_code == 422 and client.get("/portal/institution/").status_code == 302
    assert AuditEvent.objects.filter(action="code_failed", summary__startswith="机构端登录").exists()


@pytest.mark.django_db
def test_a_citizen_is_not_an_institution_and_an_institution_not_a_citizen(world):
    from tests.sites.portal.test_portal_apply import make_citizen, signed_in

    citizen = signed_in(make_citizen("张三", "", phone=PHONE, verified=False))
    r = citizen.get("/portal/institution/")
    assert r.status_code == 302 and r["Location"].startswith("/portal/institution/login/")
    r = citizen.get(f"/portal/institution/hazards/{world['hazard'].pk}/")
    assert r.status_code == 302
    inst = sign_in(Client())
    for url in ("/portal/account/", "/portal/cases/", "/portal/messages/"):
        r = inst.get(url)
        assert r.status_code == 302 and r["Location"].startswith("/portal/login/"), url
    # a staff login is neither
    staff = Client()
    staff.force_login(world["county"])
    assert staff.get("/portal/institution/").status_code == 302
    # an institution session is no staff login either
    assert inst.get(f"/supervision/entities/{world['own'].pk}/").status_code == 302


# -- own entity only ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_another_entitys_objects_are_404(world, kind):
    client = signed(world["account"])
    other = world["other_hazard"]
    assert client.get(f"/portal/institution/hazards/{other.pk}/").status_code == 404
    r = client.post(f"/portal/institution/hazards/{other.pk}/rectify/", {"text": "已整改"})
    assert r.status_code == 404
    other.refresh_from_db()
    assert other.state == HazardState.OPEN and not Rectification.objects.exists()
    assert client.get(f"/portal/institution/hazards/{world['hazard'].pk}/").status_code == 200


@pytest.mark.django_db
def test_a_rectification_by_the_account_is_submitted_and_audited_as_the_account(world):
    client = signed(world["account"])
    h = world["hazard"]
    photo = SimpleUploadedFile("fix.png", PNG, content_type="image/png")
    r = client.post(f"/portal/institution/hazards/{h.pk}/rectify/", {"text": "已清理疏散通道", "photos": [photo]})
    assert r.status_code == 302, r.content.decode()[:400]
    h.refresh_from_db()
    assert h.state == HazardState.SUBMITTED
    rect = Rectification.objects.get(hazard=h)
    assert rect.channel == "institution" and rect.submitted_by_name == "陈护理" and rect.photos.count() == 1
    event = AuditEvent.objects.get(action="supervision.rectification_submit", object_id=str(h.pk))
    assert event.actor_id is None and event.channel == "portal"
    assert event.actor_name.startswith("机构 anyang.home（安阳颐养院）")
    # again: refused in Chinese, nothing more
    r = client.post(f"/portal/institution/hazards/{h.pk}/rectify/", {"text": "再次提交"})
    assert r.status_code in (200, 422) and Rectification.objects.filter(hazard=h).count() == 1


@pytest.mark.django_db
def test_the_annual_report_is_filled_and_submitted(world, kind):
    report_template_create(user=world["county"], kind=KIND, code="test_ar", name="年度工作报告",
                           fields=[{"code": "residents", "label": "年末在院人数", "type": "int", "required": True}],
                           due_month=3, due_day=31, first_year=2020)  # fmt: skip
    client = signed(world["account"])
    year = timezone.localdate().year - 1
    assert f"/portal/institution/reports/test_ar/{year}/" in client.get("/portal/institution/").content.decode()
    r = client.post(f"/portal/institution/reports/test_ar/{year}/", {"action": "submit"})
    assert r.status_code == 422  # the required field is missing
    r = client.post(f"/portal/institution/reports/test_ar/{year}/", {"residents": "86", "action": "submit"})
    assert r.status_code == 302
    report = AnnualReport.objects.get(supervised=world["own"], year=year)
    assert report.state == "submitted" and report.channel == "institution" and report.values == {"residents": 86}
    assert AuditEvent.objects.filter(action="supervision.report_submit", actor_name__startswith="机构 ").exists()
    # the other entity's account sees no report of this one
    assert "86" not in signed(world["account_b"]).get("/portal/institution/").content.decode()


@pytest.mark.django_db
def test_registered_institution_pages(world):
    from django.http import HttpResponse

    from minzheng.sites.portal.institution import INSTITUTION_PAGES, InstitutionPage

    def view(request, account, supervised, subpath):
        return HttpResponse(f"{supervised.entity.name}|{subpath}")

    page = InstitutionPage("balances", "预付费余额", view, kinds=(KIND,))
    elsewhere = InstitutionPage("other_kind", "他类页面", view, kinds=("no_such_kind",))
    with INSTITUTION_PAGES.temporarily("balances", page), INSTITUTION_PAGES.temporarily("other_kind", elsewhere):
        client = signed(world["account"])
        home = client.get("/portal/institution/").content.decode()
        assert "预付费余额" in home and "他类页面" not in home
        assert client.get("/portal/institution/p/balances/").content.decode() == "安阳颐养院|"
        assert client.get("/portal/institution/p/balances/x/1").content.decode() == "安阳颐养院|x/1"
        assert client.get("/portal/institution/p/other_kind/").status_code == 404
        assert Client().get("/portal/institution/p/balances/").status_code == 302


# -- API ------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_institution_api_sees_its_own_entity_only(world, kind):
    report_template_create(user=world["county"], kind=KIND, code="test_ar", name="年度工作报告",
                           fields=[{"code": "residents", "label": "年末在院人数", "type": "int", "required": True}],
                           due_month=3, due_day=31, first_year=2020)  # fmt: skip
    client = signed(world["account"])
    page = client.post("/portal/institution/token/")
    plain = re.search(r"mzi_[A-Za-z0-9_-]+", page.content.decode()).group(0)
    api = Client(headers={"authorization": f"Bearer {plain}"})
    hazards = api.get("/api/v1/institution/hazards").json()
    assert {h["id"] for h in hazards["items"]} == set(world["own"].hazards.values_list("pk", flat=True))
    other = world["other_hazard"]
    assert api.get(f"/api/v1/institution/hazards/{other.pk}").status_code == 404
    r = api.post(
        f"/api/v1/institution/hazards/{other.pk}/rectifications", {"text": "x"}, content_type="application/json"
    )
    assert r.status_code == 404
    r = api.post(f"/api/v1/institution/hazards/{world['hazard'].pk}/rectifications", {"text": "已整改"},
                 content_type="application/json")  # fmt: skip
    assert r.status_code == 201 and r.json()["state"] == "submitted"
    assert AuditEvent.objects.get(action="supervision.rectification_submit").channel == "api"
    year = timezone.localdate().year - 1
    r = api.post("/api/v1/institution/reports", {"template": "test_ar", "year": year, "values": {"residents": 40},
                                                 "submit": True}, content_type="application/json")  # fmt: skip
    assert r.status_code == 200 and r.json()["state"] == "submitted"
    assert [x["year"] for x in api.get("/api/v1/institution/reports").json()["items"]] == [year]
    # the other account's token sees none of it
    plain_b = institutions.token_issue(account=world["account_b"])
    api_b = Client(headers={"authorization": f"Bearer {plain_b}"})
    assert api_b.get("/api/v1/institution/reports").json()["count"] == 0
    assert api_b.get(f"/api/v1/institution/hazards/{world['hazard'].pk}").status_code == 404
    # a staff token is refused here; an institution token everywhere else
    staff = Client(headers={"authorization": f"Bearer {token_issue(user=world['county'])}"})
    assert staff.get("/api/v1/institution/hazards").status_code == 401
    assert api.get("/api/v1/supervision/hazards").status_code == 401
    assert api.get(f"/api/v1/supervision/hazards/{world['hazard'].pk}").status_code == 401


# -- public pages ---------------------------------------------------------------------------------


def _plan(s, number, *, published, findings=""):
    plan = DrawPlan.objects.create(
        number=number, name=f"{number} 双随机抽查", kind=KIND, region_code=RUIAN, inspectors_per_entity=1, entity_count=1,
        seed="seed-1", algorithm="test", drawn_on=dt.date(2026, 3, 1), entity_pool=[[s.entity.uscc, "normal"]],
        published_at=timezone.now() if published else None, findings_summary=findings,
        findings_published_at=timezone.now() if findings else None,
    )  # fmt: skip
    DrawPair.objects.create(plan=plan, order=1, supervised=s, uscc=s.entity.uscc, risk_class="normal")
    return plan


@pytest.mark.django_db
def test_published_draws_show_on_the_portal_unpublished_do_not(world):
    _plan(world["own"], "SJ-PUB-1", published=True, findings="本次抽取 1 户，发现一般隐患 1 项。")
    _plan(world["other"], "SJ-HIDDEN-2", published=False)
    text = Client().get(f"/portal/draws/?region={ANYANG}").content.decode()
    assert "SJ-PUB-1" in text and "安阳颐养院" in text and "发现一般隐患 1 项" in text
    assert "SJ-HIDDEN-2" not in text and "塘下敬老院" not in text


@pytest.mark.django_db
def test_the_public_directory_shows_what_the_kind_made_public(world):
    from minzheng.engines.supervision.services import attributes_set
    from minzheng.sites.portal.directory import DIRECTORY, DirectoryEntry, Filter

    attributes_set(user=world["county"], supervised=world["other"], values={"nature": "private", "beds": "40",
                   "operator": "保密运营商"})  # fmt: skip
    entry = DirectoryEntry(KIND, "测试机构查询", (Filter("nature"), Filter("beds", "min")), ("nature", "beds"))
    with DIRECTORY.temporarily(KIND, entry):
        assert "测试机构查询" in Client().get("/portal/bodies/").content.decode()
        everyone = Client().get(f"/portal/bodies/{KIND}/").content.decode()
        assert "安阳颐养院" in everyone and "塘下敬老院" in everyone
        private = Client().get(f"/portal/bodies/{KIND}/?nature=private").content.decode()
        assert "塘下敬老院" in private and "安阳颐养院" not in private
        big = Client().get(f"/portal/bodies/{KIND}/?beds=100").content.decode()
        assert "安阳颐养院" in big and "塘下敬老院" not in big
        body = Client().get(f"/portal/bodies/{KIND}/{world['other'].pk}/").content.decode()
        assert "民办" in body and "40张" in body and "保密运营商" not in body and "未评定" in body
    assert Client().get(f"/portal/bodies/{KIND}/").status_code == 404  # not registered: no directory


def test_a_directory_entry_names_only_the_kinds_own_attributes(kind):
    from minzheng.sites.portal.directory import DIRECTORY, directory_register

    with pytest.raises(ValueError, match="没有属性「price」"):
        directory_register(KIND, title="测试", columns=("price",))
    with pytest.raises(ValueError, match="筛选方式"):
        directory_register(KIND, title="测试", filters=(("beds", "between"),))
    with pytest.raises(ValueError, match="未声明"):
        directory_register("no_such_kind", title="测试")
    assert KIND not in DIRECTORY

"""Application plugins: the portal's generic 我要申请 drives any plugin a case type names. A plugin
that exists only in this test (a 高龄津贴-style opt-in with one form step, the portal's upload step
and a confirmation) is listed, filled in, refused, submitted and turned into a case by the same
views that carry the assistance questionnaire — the generic code knows neither by name."""

import pytest
from django import forms
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from minzheng.business.assistance.case_types import CASE_TYPES, MEANS_APPLICATION
from minzheng.engines.cases.models import Case
from minzheng.engines.cases.services import case_open, case_type_publish
from minzheng.foundation.audit.models import AuditEvent
from minzheng.foundation.plugins import DuplicateRegistration
from minzheng.foundation.registry.models import Membership
from minzheng.sites.portal import apply as svc
from minzheng.sites.portal.applications import APPLICATIONS, MATERIALS, ApplicationPlugin, Step
from minzheng.sites.portal.apply import draft_data, uploads_attach
from minzheng.sites.portal.models import Draft, Submission
from tests.sites.portal.test_portal_apply import PNG, make_citizen, signed_in

pytestmark = pytest.mark.django_db

OPTIN = {
    "code": "test_optin", "name": "测试津贴申领", "number_prefix": "TS", "category": "测试",
    "online": True, "application": "test.optin",
    "steps": [
        {"code": "apply", "name": "受理审查", "role": "acceptor", "level": "township"},
        {"code": "granted", "name": "已办结", "outcome": "completed"},
    ],
    "transitions": [{"action": "grant", "name": "同意", "from": ["apply"], "to": "granted"}],
    "materials": [{"code": "bank_card", "name": "银行卡（存折）", "required": False}],
}  # fmt: skip


class OptInForm(forms.Form):
    bank = forms.CharField(label="开户银行", max_length=20, error_messages={"required": "请填写开户银行"})


class OptIn(ApplicationPlugin):
    steps = (Step("details", "申领信息"), MATERIALS, Step("confirm", "确认提交"))

    def start(self, *, citizen, case_type, person, acting_as):
        m = Membership.objects.filter(person=person, valid_to__isnull=True).first() if person else None
        if m is None:
            raise ValidationError("测试：须为登记在册的家庭")
        return {"household_id": m.household_id, "applicant_id": person.pk, "region_code": m.household.region_code,
                "bank": ""}  # fmt: skip

    def post(self, request, *, citizen, draft, step):
        if step == "details":
            form = OptInForm(request.POST)
            if not form.is_valid():
                raise ValidationError({k: list(v) for k, v in form.errors.items()})
            data = draft_data(draft)
            data["bank"] = form.cleaned_data["bank"]
            svc.draft_write(draft, data)
        return None

    def context(self, request, *, citizen, draft, data, step, errors):
        form = OptInForm(initial={"bank": data.get("bank", "")})
        for field, msgs in errors.items():
            form.errors[field] = msgs
        return {"form": form}

    def check(self, *, citizen, draft, data, case_type):
        if not data.get("bank"):
            raise ValidationError("测试：未填写开户银行")

    def submit(self, *, citizen, draft, data, case_type):
        m = Membership.objects.get(person_id=data["applicant_id"], valid_to__isnull=True)
        case = case_open(user=None, case_type=case_type.code, region_code=data["region_code"], household=m.household,
                         applicant=m.person, channel="portal", data={"declared": {"bank": data["bank"]}})  # fmt: skip
        uploads_attach(case=case, draft=draft, who=citizen.name)
        return case


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    cache.clear()


@pytest.fixture
def optin(regions):
    case_type_publish(definition=OPTIN, audited=False)
    with APPLICATIONS.temporarily("test.optin", OptIn()) as plugin:
        yield plugin


def test_a_plugin_the_case_type_names_is_driven_end_to_end(optin, household_in):
    _, head, _ = household_in
    citizen = make_citizen(head.name, head.id_number, person=head)
    client = signed_in(citizen)
    assert "测试津贴申领" in client.get("/portal/apply/").content.decode()
    guide = client.get("/portal/guide/test_optin/").content.decode()
    assert "/portal/apply/?item=test_optin" in guide

    r = client.post("/portal/apply/", {"case_type": "test_optin", "choice": f"self:{head.pk}"})
    draft = Draft.objects.get(citizen=citizen)
    assert r.status_code == 302 and r["Location"].endswith(f"/portal/apply/{draft.pk}/details/")
    page = client.get(r["Location"]).content.decode()
    assert "第 1 步，共 3 步" in page and "开户银行" in page
    assert client.get(f"/portal/apply/{draft.pk}/household/").status_code == 404  # not this plugin's step

    r = client.post(f"/portal/apply/{draft.pk}/details/", {"bank": ""})
    assert r.status_code == 422 and "请填写开户银行" in r.content.decode()
    r = client.post(f"/portal/apply/{draft.pk}/details/", {"bank": "瑞安农商行"})
    assert r.status_code == 302 and r["Location"].endswith(f"/portal/apply/{draft.pk}/materials/")
    page = client.get(r["Location"]).content.decode()
    assert "银行卡（存折）" in page and "下一步：确认提交" in page
    card = SimpleUploadedFile("卡.png", PNG, content_type="image/png")
    assert client.post(f"/portal/apply/{draft.pk}/upload/", {"code": "bank_card", "file": card}).status_code == 302
    r = client.post(f"/portal/apply/{draft.pk}/materials/")
    assert r["Location"].endswith(f"/portal/apply/{draft.pk}/confirm/")
    assert "确认提交申请" in client.get(r["Location"]).content.decode()

    r = client.post(f"/portal/apply/{draft.pk}/submit/")
    case = Case.objects.get(case_type__code="test_optin")
    assert r.status_code == 302 and r["Location"].endswith(f"/portal/apply/done/{case.number}/")
    assert case.channel == "portal" and case.data["declared"] == {"bank": "瑞安农商行"}
    assert [m.code for m in case.materials.all()] == ["bank_card"]
    assert Submission.objects.get(case=case).citizen == citizen
    assert AuditEvent.objects.filter(action="submit", object_id=case.number).exists()
    assert not Draft.objects.filter(pk=draft.pk).exists()
    done = client.get(r["Location"]).content.decode()
    assert case.number in done and "接下来" in done and "授权书" not in done  # the generic page, no questionnaire


def test_the_plugins_own_refusal_keeps_the_draft(optin, household_in):
    _, head, _ = household_in
    citizen = make_citizen(head.name, head.id_number, person=head)
    client = signed_in(citizen)
    client.post("/portal/apply/", {"case_type": "test_optin", "choice": f"self:{head.pk}"})
    draft = Draft.objects.get(citizen=citizen)
    r = client.post(f"/portal/apply/{draft.pk}/submit/")
    assert r.status_code == 422 and "测试：未填写开户银行" in r.content.decode()
    assert Draft.objects.filter(pk=draft.pk).exists() and not Case.objects.filter(case_type__code="test_optin")


def test_online_items_are_the_case_types_naming_a_registered_plugin(regions):
    case_type_publish(definition=OPTIN, audited=False)
    assert "test_optin" not in {ct.code for ct in svc.online_types()}  # named, but no plugin registered
    with APPLICATIONS.temporarily("test.optin", OptIn()):
        assert "test_optin" in {ct.code for ct in svc.online_types()}
    shipped = {d["code"] for d in CASE_TYPES if d.get("online") and d.get("application")}
    assert {ct.code for ct in svc.online_types()} == shipped
    assert all(d["application"] in APPLICATIONS for d in CASE_TYPES if d.get("application"))


def test_the_home_page_says_what_the_registered_plugins_cover(regions, client):
    """我要申请 on the portal's home page is explained in the plugins' own words (the portal names no
    line): the assistance questionnaire's, then another line's."""

    class Summarised(OptIn):
        summary = "测试津贴"

    assert "<span>低保、特困、临时救助等网上申请</span>" in client.get("/portal/").content.decode()
    with APPLICATIONS.temporarily("test.optin", Summarised()):
        page = client.get("/portal/").content.decode()
    assert "<span>低保、特困、临时救助、测试津贴等网上申请</span>" in page


def test_a_plugin_code_is_taken_once():
    with pytest.raises(DuplicateRegistration):
        APPLICATIONS[MEANS_APPLICATION] = OptIn()


def test_a_plugin_whose_steps_clash_with_the_portals_urls_fails_the_start_up_check():
    from minzheng.sites.portal.applications import check_plugins

    assert check_plugins() == []

    class Clash(OptIn):
        steps = (Step("submit", "提交"), Step("submit", "再提交"), MATERIALS)

    with APPLICATIONS.temporarily("test.clash", Clash()):
        messages = [e.msg for e in check_plugins()]
    assert any("重复" in m for m in messages) and any("地址冲突" in m for m in messages)
    assert any("最后一步" in m for m in messages)

"""Issue 13 item 6: the 授权书 of another adult member. Typing that member's name and ID tail no longer
records a signature as 本人: the member confirms with a code sent to the phone the registry holds for
them (shown masked only), or the citizen signs in their place (代为签署) and the case is not accepted
(受理) until the member's own signed paper arrives. Every confirmation is audited; the PDF says how
the signature was obtained."""

import datetime as dt
import re

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from minzheng.engines.cases.models import Case
from minzheng.engines.cases.services import case_act
from minzheng.foundation.audit.models import AuditEvent
from minzheng.foundation.documents.render import render_pdf
from minzheng.foundation.documents.spec import Document, Paragraph
from minzheng.foundation.documents.text import pdf_text
from minzheng.foundation.files.models import StoredFile
from minzheng.foundation.files.services import file_open
from minzheng.foundation.notify.models import Message
from minzheng.foundation.notify.services import phone_index_of
from minzheng.foundation.validation import Refused
from minzheng.sites.portal import services as account
from minzheng.sites.portal.models import Draft
from tests.sites.portal.test_portal_apply import _fill, _start, make_citizen, signed_in

pytestmark = pytest.mark.django_db
HEAD_PHONE = "13800001111"  # the head's phone in the registry (conftest household_in)
SPOUSE_PHONE = "13700002222"


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    from django.core.cache import cache

    settings.MEDIA_ROOT = tmp_path / "media"
    cache.clear()


@pytest.fixture
def spouse_applies(household_in, ids, assistance_standards):
    """The spouse, signed in, applies for 低保 for the household; the head is the other adult."""
    _household, _head, spouse = household_in
    citizen = make_citizen(spouse.name, spouse.id_number, person=spouse, phone="13600000000")
    client = signed_in(citizen)
    draft = _start(client, citizen)
    _fill(client, draft, ids, child=False)
    return client, citizen, draft


def _code_sent_to(phone: str) -> str:
    message = Message.objects.filter(phone_index=phone_index_of(phone)).order_by("-id").first()
    return re.search(r"\d{6}", message.body).group(0)


def test_typing_another_adults_name_and_id_tail_does_not_sign_for_them(household_in, spouse_applies):
    _, head, _spouse = household_in
    client, _citizen, draft = spouse_applies
    head_index = 0  # the head first
    r = client.post(f"/portal/apply/{draft.pk}/sign/{head_index}/",
                    {"name": head.name, "id6": head.id_number[-6:], "agree": "on"})  # fmt: skip
    assert r.status_code == 422 and "须本人确认" in r.content.decode()
    draft.refresh_from_db()
    assert "0" not in (json_of(draft).get("signatures") or {})
    assert not AuditEvent.objects.filter(action="sign", object_type="portal.draft").exists()


def json_of(draft: Draft) -> dict:
    from minzheng.sites.portal.apply import draft_data

    draft.refresh_from_db()
    return draft_data(draft)


def test_the_member_confirms_with_a_code_to_the_registry_phone(household_in, spouse_applies, anyang_user):
    household, head, spouse = household_in
    client, citizen, draft = spouse_applies
    page = client.get(f"/portal/apply/{draft.pk}/sign/").content.decode()
    assert "138****1111" in page and HEAD_PHONE not in page  # masked, never revealed
    r = client.post(f"/portal/apply/{draft.pk}/sign/0/code/")
    body = r.content.decode()
    assert r.status_code == 200 and "验证码已发送到 138****1111" in body and HEAD_PHONE not in body
    message = Message.objects.filter(phone_index=phone_index_of(HEAD_PHONE)).get()
    assert citizen.name in message.body and "最低生活保障" in message.body
    # a second code within the minute: refused by the portal's limits, nothing sent
    r = client.post(f"/portal/apply/{draft.pk}/sign/0/code/")
    assert r.status_code == 429 and "太频繁" in r.content.decode()
    assert Message.objects.filter(phone_index=phone_index_of(HEAD_PHONE)).count() == 1
    code = re.search(r"\d{6}", message.body).group(0)
    wrong = "000000" if code != "000000" else "111111"
    r = client.post(f"/portal/apply/{draft.pk}/sign/0/confirm/", {"code": wrong, "agree": "on"})
    assert r.status_code == 422 and "还可以再试 4 次" in r.content.decode()
    # the confirmation code never signs anyone in
    with pytest.raises(ValidationError):
        account.login_code_verify(phone=HEAD_PHONE, code=code)
    r = client.post(f"/portal/apply/{draft.pk}/sign/0/confirm/", {"code": code, "agree": "on"})
    assert r.status_code == 302, r.content.decode()[-1500:]
    sig = json_of(draft)["signatures"]["0"]
    assert (sig["signer"], sig["role"], sig["method"], sig["phone_masked"]) == ("王建国", "self", "sms", "138****1111")
    text = pdf_text(file_open(StoredFile.objects.get(pk=sig["file_id"])), compact=True)
    assert "短信验证码" in text and "138****1111" in text and HEAD_PHONE not in text
    audits = AuditEvent.objects.filter(object_type="portal.draft", object_id=str(draft.pk))
    assert audits.filter(action="sign_code", summary__contains="138****1111").exists()
    assert audits.filter(action="sign", summary__contains="本人手机短信验证码确认").exists()
    # used: the code does not sign twice; the code messages are kept out of the member's inbox
    assert client.post(f"/portal/apply/{draft.pk}/sign/0/confirm/", {"code": code, "agree": "on"}).status_code == 422
    head_citizen = make_citizen(head.name, head.id_number, person=head, phone=HEAD_PHONE)
    assert not account.citizen_messages(head_citizen).exists()

    # the spouse signs her own; the case is open and needs no paper: 受理 passes
    r = client.post(f"/portal/apply/{draft.pk}/sign/1/", {"name": spouse.name, "id6": spouse.id_number[-6:],
                                                          "agree": "on"})  # fmt: skip
    assert r.status_code == 302
    assert client.post(f"/portal/apply/{draft.pk}/submit/").status_code == 302
    case = Case.objects.get(household=household)
    auths = case.data["declared"]["authorizations"]
    assert [(a["signer_name"], a["signer_role"], a["method"]) for a in auths] == [
        ("王建国", "self", "sms"), ("李秀英", "self", "typed")]  # fmt: skip
    assert "paper_signatures" not in case.data
    case = case_act(user=anyang_user, case=case, action="accept")
    assert case.step == "investigate"


def test_signed_for_the_member_waits_for_the_paper_at_acceptance(household_in, spouse_applies, anyang_user):
    household, head, spouse = household_in
    client, _citizen, draft = spouse_applies
    r = client.post(f"/portal/apply/{draft.pk}/sign/0/proxy/", {})
    assert r.status_code == 422 and "须补交王建国本人签字的书面授权书" in r.content.decode()
    assert client.post(f"/portal/apply/{draft.pk}/sign/0/proxy/", {"proxy": "on"}).status_code == 302
    sig = json_of(draft)["signatures"]["0"]
    assert (sig["signer"], sig["role"], sig["method"]) == ("李秀英", "proxy", "proxy")
    page = client.get(f"/portal/apply/{draft.pk}/sign/").content.decode()
    assert "代为签署" in page and "受理时须交王建国本人签字的书面授权书" in page
    client.post(f"/portal/apply/{draft.pk}/sign/1/", {"name": spouse.name, "id6": spouse.id_number[-6:], "agree": "on"})
    confirm = client.get(f"/portal/apply/{draft.pk}/confirm/").content.decode()
    assert 'id="proxied"' in confirm and "王建国" in confirm
    r = client.post(f"/portal/apply/{draft.pk}/submit/")
    assert r.status_code == 302
    done = client.get(r["Location"]).content.decode()
    assert "请补交书面授权书" in done and "王建国" in done
    case = Case.objects.get(household=household)
    mine = client.get(f"/portal/cases/{case.number}/").content.decode()
    assert 'id="paper"' in mine and "王建国" in mine
    assert case.data["paper_signatures"] == [{"person_id": head.pk, "name": "王建国", "code": "authorisation"}]
    auth = case.materials.filter(code="authorisation").order_by("pk").first()
    assert "代为签署" in auth.note
    text = pdf_text(file_open(auth.file), compact=True)
    assert "代为签署" in text and "李秀英" in text and "书面授权书" in text
    assert AuditEvent.objects.filter(action="sign", summary__contains="代为签署").exists()

    # 受理 is refused, naming the member; nothing moves
    with pytest.raises(Refused, match="王建国"):
        case_act(user=anyang_user, case=case, action="accept")
    assert Case.objects.get(pk=case.pk).step == "apply"
    # the township uploads the paper 授权书 for him in the workbench; then 受理 passes
    from minzheng.engines.cases.signatures import paper_signatures_due

    web = Client()
    web.force_login(anyang_user)
    page = web.get(f"/cases/{case.number}/").content.decode()
    assert 'id="paper-signatures"' in page and "王建国" in page
    pdf = render_pdf(Document(title="授权书", blocks=[Paragraph("王建国 签字")]))
    r = web.post(f"/cases/{case.number}/materials/", {
        "material-code": "authorisation", "material-person": str(head.pk),
        "material-file": SimpleUploadedFile("授权书-王建国.pdf", pdf, "application/pdf")})  # fmt: skip
    assert r.status_code == 302, r.content.decode()[-2000:]
    assert paper_signatures_due(Case.objects.get(pk=case.pk)) == []
    assert 'id="paper"' not in client.get(f"/portal/cases/{case.number}/").content.decode()
    case = case_act(user=anyang_user, case=Case.objects.get(pk=case.pk), action="accept")
    assert case.step == "investigate"


def test_a_material_person_must_be_a_member(household_in, household_other, anyang_user, assistance_standards):
    from minzheng.engines.cases.services import case_open, material_add

    household, head, _ = household_in
    _, stranger = household_other
    case = case_open(user=anyang_user, case_type="dibao_application", region_code="", household=household,
                     applicant=head)  # fmt: skip
    pdf = render_pdf(Document(title="授权书", blocks=[Paragraph("签字")]))
    with pytest.raises(ValidationError, match="现有成员"):
        material_add(user=anyang_user, case=case, code="authorisation", data=pdf, name="a.pdf", person=stranger)
    assert not case.materials.exists()


def test_a_proxy_signed_letter_is_no_authority_for_verification(household_in, anyang_user):
    from minzheng.engines.verification.models import SignerRole
    from minzheng.engines.verification.services import _authorization_problems

    _, head, _ = household_in
    problems = _authorization_problems(head, {"signer_name": "李秀英", "signer_role": SignerRole.PROXY,
                                              "file": b"x", "signed_at": timezone.localdate()}, timezone.localdate())  # fmt: skip
    assert problems == [
        f"{head.name}的授权书为他人代为签署，不能作为核对授权，须附{head.name}本人（或监护人）签字的书面授权书"
    ]
    assert SignerRole.PROXY.label == "代为签署"
    # with the letter's other problems, all at once (not the proxy's alone)
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    problems = _authorization_problems(head, {"signer_name": "李秀英", "signer_role": SignerRole.PROXY,
                                              "file": b"x", "signed_at": tomorrow}, timezone.localdate())  # fmt: skip
    assert len(problems) == 2 and "晚于今天" in problems[0] and "代为签署" in problems[1]


def test_a_member_without_a_registry_phone_gets_no_code(household_in, spouse_applies):
    _, head, _ = household_in
    head.phone = ""
    head.save()
    client, _, draft = spouse_applies
    page = client.get(f"/portal/apply/{draft.pk}/sign/").content.decode()
    assert "没有王建国的手机号" in page and "sign/0/code/" not in page
    r = client.post(f"/portal/apply/{draft.pk}/sign/0/code/")
    assert r.status_code == 422 and "没有王建国的手机号" in r.content.decode()
    assert not Message.objects.exists()


def test_the_member_confirms_in_their_own_account(household_in, spouse_applies, ids):
    """The other way of confirming: the head, signed in to his own bound account, answers."""
    _, head, _ = household_in
    client, _, draft = spouse_applies
    assert client.post(f"/portal/apply/{draft.pk}/sign/0/ask/").status_code == 302
    page = client.get(f"/portal/apply/{draft.pk}/sign/").content.decode()
    assert "已请王建国登录网上办事大厅" in page
    # someone else (bound to another number) sees nothing and cannot answer
    other = signed_in(make_citizen("陈志明", ids(), phone="13500000001"))
    assert "王建国" not in other.get("/portal/apply/consents/").content.decode()
    request_id = draft.sign_requests.get().pk
    assert other.post("/portal/apply/consents/", {"request": request_id, "answer": "agree",
                                                  "agree": "on"}).status_code == 404  # fmt: skip
    # the head signs in with his own account
    head_client = signed_in(make_citizen(head.name, head.id_number, person=head, phone=HEAD_PHONE))
    assert 'id="consents-waiting"' in head_client.get("/portal/apply/").content.decode()
    listing = head_client.get("/portal/apply/consents/").content.decode()
    assert "李秀英" in listing and "最低生活保障申请" in listing and head.id_number not in listing
    r = head_client.post("/portal/apply/consents/", {"request": request_id, "answer": "agree"})
    assert r.status_code == 422 and "请勾选" in r.content.decode()
    r = head_client.post("/portal/apply/consents/", {"request": request_id, "answer": "agree", "agree": "on"})
    assert r.status_code == 200 and "已同意授权" in r.content.decode()
    sig = json_of(draft)["signatures"]["0"]
    assert (sig["signer"], sig["role"], sig["method"], sig["phone_masked"]) == (
        "王建国",
        "self",
        "account",
        "138****1111",
    )
    assert AuditEvent.objects.filter(action="sign", channel="portal", actor_name__contains="王建国",
                                     summary__contains="本人登录账户确认").exists()  # fmt: skip
    assert "待您确认" not in head_client.get("/portal/apply/").content.decode()
    # answered once: nothing more to answer
    assert head_client.post("/portal/apply/consents/", {"request": request_id, "answer": "decline"}).status_code == 404


def test_a_member_may_decline_in_their_account(household_in, spouse_applies):
    _, head, _ = household_in
    client, _, draft = spouse_applies
    client.post(f"/portal/apply/{draft.pk}/sign/0/ask/")
    head_client = signed_in(make_citizen(head.name, head.id_number, person=head, phone=HEAD_PHONE))
    request_id = draft.sign_requests.get().pk
    assert head_client.post("/portal/apply/consents/", {"request": request_id, "answer": "decline"}).status_code == 200
    assert "0" not in (json_of(draft).get("signatures") or {})
    assert "王建国已在本人账户中答复不同意授权" in client.get(f"/portal/apply/{draft.pk}/sign/").content.decode()
    assert AuditEvent.objects.filter(action="sign_declined").exists()


def test_the_paper_can_be_uploaded_for_the_member_through_the_api(household_in, household_other, spouse_applies):
    from minzheng.foundation.accounts.services import user_create

    _, head, spouse = household_in
    _, stranger = household_other
    client, _, draft = spouse_applies
    client.post(f"/portal/apply/{draft.pk}/sign/0/proxy/", {"proxy": "on"})
    client.post(f"/portal/apply/{draft.pk}/sign/1/", {"name": spouse.name, "id6": spouse.id_number[-6:], "agree": "on"})
    assert client.post(f"/portal/apply/{draft.pk}/submit/").status_code == 302
    case = Case.objects.get(household=head.memberships.get().household)
    user_create(username="api_paper", password="Api@Paper2026x", grants=[("acceptor", "330381001000")])
    api = Client()
    token = api.post("/api/v1/auth/token", {"username": "api_paper", "password": "Api@Paper2026x"},
                     content_type="application/json").json()["token"]  # fmt: skip
    api.defaults["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    pdf = render_pdf(Document(title="授权书", blocks=[Paragraph("王建国 签字")]))
    url = f"/api/v1/cases/{case.number}/materials"
    r = api.post(url, {"code": "authorisation", "person_id": stranger.pk, "file": SimpleUploadedFile("a.pdf", pdf)})
    assert r.status_code == 422 and "现有成员" in r.json()["detail"]
    r = api.post(f"/api/v1/cases/{case.number}/transitions", {"action": "accept"}, content_type="application/json")
    assert r.status_code == 409 and "王建国" in r.json()["detail"]
    r = api.post(url, {"code": "authorisation", "person_id": head.pk, "file": SimpleUploadedFile("a.pdf", pdf)})
    assert r.status_code == 201, r.content
    r = api.post(f"/api/v1/cases/{case.number}/transitions", {"action": "accept"}, content_type="application/json")
    assert r.status_code == 200 and r.json()["step"] == "investigate"


def test_a_request_under_another_name_is_not_shown_to_the_holder_of_the_id_number(household_in, spouse_applies):
    """Asked by ID number alone, a request whose member the applicant named otherwise is never
    shown to (nor answerable by) the account bound to that ID number: its holder would be signing
    a 授权书 that names someone else."""
    from minzheng.sites.portal.apply import draft_data, draft_write

    _, head, _ = household_in
    client, _, draft = spouse_applies
    data = draft_data(draft)
    index = next(i for i, m in enumerate(data["members"]) if m.get("id_number") == head.id_number)
    data["members"][index]["name"] = "王建民"
    draft_write(draft, data)
    assert client.post(f"/portal/apply/{draft.pk}/sign/{index}/ask/").status_code == 302
    request_id = draft.sign_requests.get().pk
    head_client = signed_in(make_citizen(head.name, head.id_number, person=head, phone=HEAD_PHONE))
    assert "李秀英" not in head_client.get("/portal/apply/consents/").content.decode()
    r = head_client.post("/portal/apply/consents/", {"request": request_id, "answer": "agree", "agree": "on"})
    assert r.status_code == 404 and str(index) not in (json_of(draft).get("signatures") or {})

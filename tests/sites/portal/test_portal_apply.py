"""我要申请 on the portal: a private draft kept on the server, the estimate, uploads sniffed, 授权书
per member, and one submission that opens a case with channel portal — or is refused whole."""

import datetime as dt

import pytest
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from minzheng.engines.cases.models import Case
from minzheng.foundation.audit.models import AuditEvent
from minzheng.foundation.codes import mask_id_number
from minzheng.foundation.crypto.sm import blind_index
from minzheng.foundation.documents.render import render_pdf
from minzheng.foundation.documents.spec import Document, Paragraph
from minzheng.foundation.documents.text import pdf_text
from minzheng.foundation.files.services import file_open
from minzheng.foundation.registry.models import Household, Membership, Person
from minzheng.foundation.registry.normalise import id_index
from minzheng.sites.portal.models import ActingAs, Citizen, Draft, Submission
from tests.conftest import ANYANG, ANYANG_VILLAGE

pytestmark = pytest.mark.django_db
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    cache.clear()


def make_citizen(name, id_number, *, person=None, phone="13912340000", verified=True):
    return Citizen.objects.create(
        phone=phone, phone_index=blind_index(phone, purpose="phone"), phone_masked=phone[:3] + "****" + phone[-4:],
        name=name, id_number=id_number, id_number_index=id_index(id_number) if id_number else "",
        id_number_masked=mask_id_number(id_number) if id_number else "", person=person,
        verified_at=timezone.now() if verified else None,
    )  # fmt: skip


def signed_in(citizen) -> Client:
    client = Client()
    session = client.session
    session["portal_citizen"] = citizen.pk
    session.save()
    return client


@pytest.fixture
def head_citizen(household_in):
    _, head, _ = household_in
    return make_citizen(head.name, head.id_number, person=head)


def _start(client, citizen, item="dibao_application"):
    r = client.post("/portal/apply/", {"case_type": item, "choice": f"self:{citizen.person_id or 0}"})
    assert r.status_code == 302, r.content.decode()[:2000]
    return Draft.objects.filter(citizen=citizen).latest("pk")


def _fill(client, draft, ids, *, child=True):
    url = f"/portal/apply/{draft.pk}"
    child_id = ids(birth=timezone.localdate().replace(year=timezone.localdate().year - 8, day=1))
    if child:
        r = client.post(f"{url}/household/", {"action": "add", "name": "王小明", "id_number": child_id,
                                              "relation": "child"})  # fmt: skip
        assert r.status_code == 302
    assert client.post(f"{url}/household/", {"action": "next"}).status_code == 302
    assert client.post(f"{url}/income/", {"m0_wages": "6000", "m1_wages": ""}).status_code == 302
    assert client.post(f"{url}/property/", {"p_financial_assets": "3000", "p_houses": "1"}).status_code == 302
    return child_id


def _sign_all(client, draft, people):
    """people: [(signer name, signer ID number)] per member, in draft order."""
    for i, (name, number) in enumerate(people):
        r = client.post(f"/portal/apply/{draft.pk}/sign/{i}/", {"name": name, "id6": number[-6:], "agree": "on"})
        assert r.status_code == 302, r.content.decode()[-1500:]


def test_apply_needs_a_bound_citizen(regions):
    assert Client().get("/portal/apply/").status_code == 302  # to sign-in
    unbound = make_citizen("", "", verified=False)
    r = signed_in(unbound).get("/portal/apply/")
    assert r.status_code == 403 and "实名认证" in r.content.decode()


def test_a_draft_survives_and_is_private(head_citizen, household_in, ids, assistance_standards):
    client = signed_in(head_citizen)
    body = client.get("/portal/apply/").content.decode()
    for name in ("最低生活保障申请", "特困人员认定申请", "临时救助申请（急难型）", "低保边缘家庭认定申请",
                 "刚性支出困难家庭认定申请"):  # fmt: skip
        assert name in body
    assert "救助对象增减员及变更" not in body  # online, but opened by the office: not an application
    draft = _start(client, head_citizen)
    page = client.get(f"/portal/apply/{draft.pk}/household/").content.decode()
    _, head, _ = household_in
    assert "王建国" in page and "李秀英" in page and head.id_number_masked in page and head.id_number not in page
    client.post(f"/portal/apply/{draft.pk}/household/", {"action": "next"})

    again = signed_in(head_citizen)  # the browser was closed: a new session
    listing = again.get("/portal/apply/").content.decode()
    assert "继续填写" in listing
    r = again.get(f"/portal/apply/{draft.pk}/")
    assert r.status_code == 302 and r["Location"].endswith(f"/portal/apply/{draft.pk}/income/")

    other = make_citizen("陈志明", ids(birth=dt.date(1960, 1, 1)), phone="13700000000")
    stranger = signed_in(other)
    assert stranger.get(f"/portal/apply/{draft.pk}/household/").status_code == 404
    assert stranger.post(f"/portal/apply/{draft.pk}/discard/").status_code == 404
    assert "继续填写" not in stranger.get("/portal/apply/").content.decode()
    assert Draft.objects.filter(pk=draft.pk).exists()
    from django.db import connection

    with connection.cursor() as cur:  # stored encrypted: names and ID numbers are not readable in the table
        cur.execute("SELECT data FROM portal_draft WHERE id = %s", [draft.pk])
        assert "王建国" not in cur.fetchone()[0]


def test_estimate_shown_and_bad_upload_refused(head_citizen, household_in, ids, assistance_standards):
    client = signed_in(head_citizen)
    draft = _start(client, head_citizen)
    _fill(client, draft, ids)
    body = client.get(f"/portal/apply/{draft.pk}/check/").content.decode()
    assert "仅供参考，以审核确认结果为准" in body and "可能符合最低生活保障条件" in body

    page = client.get(f"/portal/apply/{draft.pk}/materials/").content.decode()
    assert 'accept="image/*,application/pdf"' in page and 'capture="environment"' in page
    assert "<script>" not in page and "style=" not in page
    from django.core.files.uploadedfile import SimpleUploadedFile

    bad = SimpleUploadedFile("身份证.jpg", b"MZ\x90\x00 not a picture", content_type="image/jpeg")
    r = client.post(f"/portal/apply/{draft.pk}/upload/", {"code": "identity", "file": bad})
    assert r.status_code == 422 and "只接受" in r.content.decode()
    good = SimpleUploadedFile("户口簿.png", PNG, content_type="image/png")
    assert client.post(f"/portal/apply/{draft.pk}/upload/", {"code": "identity", "file": good}).status_code == 302
    draft.refresh_from_db()
    assert [f["code"] for f in draft.files] == ["identity"]
    assert "户口簿.png" in client.get(f"/portal/apply/{draft.pk}/materials/").content.decode()
    # the upload and its removal are audited, naming the citizen (before: neither was)
    from minzheng.foundation.audit.models import AuditEvent

    client.post(f"/portal/apply/{draft.pk}/files/0/remove/")
    draft.refresh_from_db()
    assert draft.files == []
    rows = list(AuditEvent.objects.filter(object_type="portal.draft", object_id=str(draft.pk)).order_by("seq"))
    upload, removal = [r for r in rows if "材料" in r.summary]
    assert upload.action == "upload" and removal.action == "update"
    assert all(r.actor_name.startswith("群众 ") and r.channel == "portal" for r in (upload, removal))


def test_submission_opens_a_portal_case(head_citizen, household_in, ids, assistance_standards):
    household, head, spouse = household_in
    client = signed_in(head_citizen)
    draft = _start(client, head_citizen)
    child_id = _fill(client, draft, ids)
    from django.core.files.uploadedfile import SimpleUploadedFile

    pdf = render_pdf(Document(title="残疾证", blocks=[Paragraph("残疾证")]))
    client.post(f"/portal/apply/{draft.pk}/upload/",
                {"code": "disability_illness", "file": SimpleUploadedFile("残疾证.pdf", pdf)})  # fmt: skip
    r = client.post(f"/portal/apply/{draft.pk}/submit/")
    assert r.status_code == 422 and "尚未签署授权书" in r.content.decode()
    # a wrong signature is refused; the minor is signed by the applicant as guardian; the spouse (no
    # phone in the registry) is signed for by the applicant: 代为签署
    r = client.post(f"/portal/apply/{draft.pk}/sign/0/", {"name": "王建国", "id6": "000000", "agree": "on"})
    assert r.status_code == 422 and "身份证号后六位不正确" in r.content.decode()
    _sign_all(client, draft, [(head.name, head.id_number)])
    assert client.post(f"/portal/apply/{draft.pk}/sign/1/proxy/", {"proxy": "on"}).status_code == 302
    r = client.post(f"/portal/apply/{draft.pk}/sign/2/", {"name": head.name, "id6": head.id_number[-6:], "agree": "on"})
    assert r.status_code == 302

    r = client.post(f"/portal/apply/{draft.pk}/submit/")
    assert r.status_code == 302, r.content.decode()[-2000:]
    case = Case.objects.get(household=household)
    assert r["Location"].endswith(f"/portal/apply/done/{case.number}/")
    assert case.channel == "portal" and case.applicant == head and case.opened_by is None and case.step == "apply"
    sub = Submission.objects.get(case=case)
    assert (sub.citizen, sub.acting_as, sub.agent_name) == (head_citizen, ActingAs.SELF, "")
    codes = sorted(case.materials.values_list("code", flat=True))
    assert codes == sorted(["application", "means_declaration", "disability_illness"] + ["authorisation"] * 3)
    assert not case.materials.filter(uploaded_by__isnull=False).exists()
    auths = case.data["declared"]["authorizations"]
    assert [(a["signer_name"], a["signer_role"]) for a in auths] == [
        ("王建国", "self"), ("王建国", "proxy"), ("王建国", "guardian")]  # fmt: skip
    assert case.data["paper_signatures"] == [{"person_id": spouse.pk, "name": "李秀英", "code": "authorisation"}]
    assert auths[0]["person_id"] == head.pk and auths[1]["person_id"] == spouse.pk
    text = pdf_text(file_open(case.materials.filter(code="authorisation").order_by("pk")[2].file), compact=True)
    assert "家庭经济状况核对授权书" in text and "监护人" in text and "王小明" in text
    assert child_id not in str(case.data) and head.id_number not in str(case.data)  # masked only
    assert not Draft.objects.filter(pk=draft.pk).exists()
    assert AuditEvent.objects.filter(action="submit", object_id=case.number, channel="portal").exists()
    assert case.tasks.get().region_code == ANYANG  # in the township's inbox
    done = client.get(r["Location"]).content.decode()
    assert case.number in done and "接下来" in done

    # a second running application of the same item for the household is refused, nothing written
    # (issue 13 item 7: at the first step, before anything is filled in)
    before = (Case.objects.count(), Submission.objects.count(), Draft.objects.count())
    r = client.post("/portal/apply/", {"case_type": "dibao_application", "choice": f"self:{head.pk}"})
    assert r.status_code == 409 and "不能重复申请" in r.content.decode() and case.number in r.content.decode()
    assert "我的办件" in r.content.decode()
    assert (Case.objects.count(), Submission.objects.count(), Draft.objects.count()) == before


def test_unknown_citizen_gets_a_new_household(regions, ids, assistance_standards):
    number = ids(birth=dt.date(1980, 3, 3))
    citizen = make_citizen("赵新民", number)
    client = signed_in(citizen)
    draft = _start(client, citizen, item="temp_expenditure")
    url = f"/portal/apply/{draft.pk}/household/"
    r = client.post(url, {"action": "next"})
    assert r.status_code == 422 and "请选择所在的村（社区）" in r.content.decode()
    client.post(url, {"action": "township", "township": ANYANG, "hukou_type": "urban"})
    assert "330381001001" in client.get(url).content.decode()
    assert client.post(url, {"action": "next", "village": ANYANG_VILLAGE, "hukou_type": "urban"}).status_code == 302
    client.post(f"/portal/apply/{draft.pk}/income/", {"m0_wages": "1000"})
    client.post(f"/portal/apply/{draft.pk}/property/", {})
    assert "仅供参考" in client.get(f"/portal/apply/{draft.pk}/check/").content.decode()
    _sign_all(client, draft, [("赵新民", number)])
    r = client.post(f"/portal/apply/{draft.pk}/submit/")
    assert r.status_code == 302, r.content.decode()[-2000:]
    person = Person.objects.get(id_number_index=id_index(number))
    household = Membership.objects.get(person=person, valid_to__isnull=True).household
    assert household.region_code == ANYANG_VILLAGE and Household.objects.count() == 1
    case = Case.objects.get(household=household)
    assert case.case_type_id == "temp_expenditure" and case.channel == "portal" and case.applicant == person


def test_family_member_applies_as_agent(household_in, ids, assistance_standards):
    household, head, spouse = household_in
    citizen = make_citizen(spouse.name, spouse.id_number, person=spouse)
    client = signed_in(citizen)
    assert f"family:{head.pk}" in client.get("/portal/apply/").content.decode()
    r = client.post("/portal/apply/", {"case_type": "edge_application", "choice": f"family:{head.pk}"})
    assert r.status_code == 302
    draft = Draft.objects.get(citizen=citizen)
    _fill(client, draft, ids, child=False)
    # the head is not the citizen: typing the head's name and ID tail does not sign for him
    r = client.post(f"/portal/apply/{draft.pk}/sign/0/", {"name": head.name, "id6": head.id_number[-6:], "agree": "on"})
    assert r.status_code == 422 and "须本人确认" in r.content.decode()
    assert client.post(f"/portal/apply/{draft.pk}/sign/0/proxy/", {"proxy": "on"}).status_code == 302
    r = client.post(f"/portal/apply/{draft.pk}/sign/1/", {"name": spouse.name, "id6": spouse.id_number[-6:],
                                                          "agree": "on"})  # fmt: skip
    assert r.status_code == 302
    assert client.post(f"/portal/apply/{draft.pk}/submit/").status_code == 302
    case = Case.objects.get(household=household, case_type_id="edge_application")
    sub = Submission.objects.get(case=case)
    assert case.applicant == head and (sub.acting_as, sub.agent_name) == (ActingAs.FAMILY, "李秀英")


# ---------------------------------------------------------------- issue 13 item 7: refused at the first step


def test_a_duplicate_application_is_refused_at_the_first_step(
    head_citizen, household_in, anyang_user, assistance_standards
):
    """A household with a running 低保 case (opened at the window) cannot start a second one on the
    portal: the first step names the running case and no draft is kept."""
    from minzheng.engines.cases.services import case_open

    household, head, spouse = household_in
    running = case_open(user=anyang_user, case_type="dibao_application", region_code="", household=household,
                        applicant=head)  # fmt: skip
    client = signed_in(head_citizen)
    r = client.post("/portal/apply/", {"case_type": "dibao_application", "choice": f"self:{head.pk}"})
    body = r.content.decode()
    assert r.status_code == 409, body[-1500:]
    assert "不能重复申请" in body and running.number in body and "最低生活保障申请" in body
    assert not Draft.objects.filter(citizen=head_citizen).exists()
    # another item of the same household is not a duplicate
    assert client.post("/portal/apply/", {"case_type": "edge_application",
                                          "choice": f"self:{head.pk}"}).status_code == 302  # fmt: skip
    # a family member acting for the head: refused too, whole number shown (same household)
    spouse_citizen = make_citizen(spouse.name, spouse.id_number, person=spouse, phone="13600000000")
    r = signed_in(spouse_citizen).post("/portal/apply/", {"case_type": "dibao_application",
                                                          "choice": f"family:{head.pk}"})  # fmt: skip
    assert r.status_code == 409 and running.number in r.content.decode()


def test_a_village_assistant_sees_the_running_number_masked(household_in, anyang_user, ids, assistance_standards):
    from minzheng.engines.cases.services import case_open

    household, head, _ = household_in
    running = case_open(user=anyang_user, case_type="dibao_application", region_code="", household=household,
                        applicant=head)  # fmt: skip
    assistant = make_citizen("周协理", ids(birth=dt.date(1975, 2, 2)), phone="13500000000")
    assistant.assistant_region_code = ANYANG_VILLAGE
    assistant.save()
    r = signed_in(assistant).post("/portal/apply/", {"case_type": "dibao_application",
                                                     "choice": f"assistant:{head.pk}"})  # fmt: skip
    body = r.content.decode()
    assert r.status_code == 409 and "不能重复申请" in body
    assert running.number not in body and running.number[:-6] + "****" + running.number[-2:] in body
    assert not Draft.objects.exists()


def test_a_case_opened_while_filling_is_still_refused_at_submit(
    head_citizen, household_in, anyang_user, ids, assistance_standards
):
    """The same rule again at submission: the window opened a case after the draft was started."""
    from minzheng.engines.cases.services import case_open

    household, head, _ = household_in
    client = signed_in(head_citizen)
    draft = _start(client, head_citizen)
    _fill(client, draft, ids, child=False)
    running = case_open(user=anyang_user, case_type="dibao_application", region_code="", household=household,
                        applicant=head)  # fmt: skip
    r = client.post(f"/portal/apply/{draft.pk}/submit/")
    assert r.status_code in (409, 422) and running.number in r.content.decode()
    assert Case.objects.filter(household=household).count() == 1

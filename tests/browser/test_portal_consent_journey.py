"""Issue 13 item 6 in real Chromium on a phone (375 px): the 授权书 of the other adults of a registry
household. The wife applies for 低保; she signs her own; her husband confirms with the code sent to the
phone the registry holds for him (the page shows it masked), which she reads off his phone (here: the
message table) and types in; their grown-up son has no phone on record, so she signs in his place
(代为签署). The township's acceptor sees that the son's paper 授权书 is still due, is refused 受理
until it is uploaded for him, and then accepts."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from minzheng.engines.cases.models import Case
from minzheng.foundation.codes.idnumbers import make_id_number
from minzheng.foundation.documents.render import render_pdf
from minzheng.foundation.documents.spec import Document, Paragraph
from minzheng.foundation.notify.models import Message
from minzheng.foundation.notify.services import phone_index_of
from minzheng.foundation.regions.models import Region

from .conftest import ANYANG, PHONE, browser_db, shot
from .test_portal_journey import _act, check_page, upload_paper

pytestmark = [pytest.mark.browser, browser_db]
WIFE_PHONE, HUSBAND_PHONE = "13912340021", "13812340022"


def _household(world):
    from minzheng.foundation.registry.services import household_create, person_create

    today = timezone.localdate()
    village = Region.objects.filter(code__startswith=ANYANG[:9], level="village").order_by("code").first().code
    son_birth = dt.date(today.year - 22, 3, 1)
    people = {}
    for key, name, birth, seq, phone in (
        ("husband", "郑国强", dt.date(1968, 4, 12), 771, HUSBAND_PHONE),
        ("wife", "吴美华", dt.date(1970, 8, 3), 772, ""),
        ("son", "郑一帆", son_birth, 773, ""),
    ):
        people[key] = person_create(
            user=world.anyang_user,
            data={"name": name, "id_number": make_id_number("330381", birth, seq), "hukou_type": "urban",
                  "region_code": village, "phone": phone},
        )  # fmt: skip
    household = household_create(
        user=world.anyang_user,
        data={"region_code": village, "hukou_type": "urban", "address": "安阳路66号"},
        head=people["husband"],
        members=[(people["wife"], "spouse"), (people["son"], "child")],
    )
    return household, people


def _code(phone: str) -> str:
    message = Message.objects.filter(phone_index=phone_index_of(phone)).order_by("-id").first()
    return re.search(r"\d{6}", message.body).group(0)


def test_another_adult_confirms_by_phone_or_is_signed_for_and_the_paper_is_due(pages, world, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    from minzheng.business.assistance.services import standards_load

    standards_load()
    household, people = _household(world)
    base = pages.base_url
    paper = tmp_path / "授权书-郑一帆.pdf"
    paper.write_bytes(render_pdf(Document(title="家庭经济状况核对授权书", blocks=[Paragraph("郑一帆 本人签字")])))

    # the wife signs in with her own phone and binds her name (the registry knows her)
    citizen = pages.new(PHONE)
    citizen.goto(f"{base}/portal/login/")
    citizen.fill("#id_phone", WIFE_PHONE)
    citizen.get_by_role("button", name="获取验证码").click()
    citizen.fill("#id_code", _code(WIFE_PHONE))
    citizen.get_by_role("button", name="登录").click()
    citizen.goto(f"{base}/portal/account/")
    citizen.fill("#id_name", "吴美华")
    citizen.fill("#id_id_number", people["wife"].id_number)
    citizen.get_by_role("button", name="认证").click()
    expect(citizen.locator("main")).to_contain_text("已认证")

    # apply for 低保 for herself: the household of three comes from the registry
    citizen.goto(f"{base}/portal/apply/")
    citizen.get_by_label("最低生活保障", exact=False).first.check()
    citizen.locator("input[name='choice']").first.check()
    citizen.get_by_role("button", name="开始填写").click()
    expect(citizen.locator("#members")).to_contain_text("郑一帆")
    citizen.get_by_role("button", name="保存，下一步").click()
    citizen.get_by_role("button", name="保存，下一步").click()  # incomes
    citizen.get_by_role("button", name="保存，下一步").click()  # property
    citizen.get_by_role("button", name="下一步：上传材料").click()
    citizen.get_by_role("button", name="下一步：签署授权书").click()
    check_page(citizen, "30-consent-sign")

    # her own: name and ID tail; typing the husband's would not sign for him (no such form for him)
    husband, wife, son = (citizen.locator(f"#m{i}") for i in range(3))
    expect(husband.locator("input[name='id6']")).to_have_count(0)
    wife.locator("input[name='name']").fill("吴美华")
    wife.locator("input[name='id6']").fill(people["wife"].id_number[-6:])
    wife.locator("input[name='agree']").check()
    wife.get_by_role("button", name="签署").click()
    expect(citizen.locator("#m1")).to_contain_text("已签署")

    # the husband: a code to the phone on record, shown masked only
    husband = citizen.locator("#m0")
    expect(husband).to_contain_text("138****0022")
    assert HUSBAND_PHONE not in citizen.content()
    husband.get_by_role("button", name=re.compile("发送验证码")).click()
    expect(citizen.locator("#sign-notice")).to_contain_text("验证码已发送到 138****0022")
    husband = citizen.locator("#m0")
    husband.locator("input[name='code']").fill(_code(HUSBAND_PHONE))
    husband.locator("input[name='agree']").check()
    check_page(citizen, "31-consent-code")
    husband.get_by_role("button", name="确认签署").click()
    expect(citizen.locator("#m0")).to_contain_text("本人手机 138****0022 验证码确认")

    # the son: no phone on record; she signs in his place
    son = citizen.locator("#m2")
    expect(son).to_contain_text("没有郑一帆的手机号")
    son.locator("details.proxy summary").click()
    son.locator("input[name='proxy']").check()
    son.get_by_role("button", name="代为签署").click()
    expect(citizen.locator("#m2")).to_contain_text("受理时须交郑一帆本人签字的书面授权书")
    check_page(citizen, "32-consent-signed")
    citizen.get_by_role("button", name="下一步：确认提交").click()
    expect(citizen.locator("#proxied")).to_contain_text("郑一帆")
    citizen.get_by_role("button", name="确认提交申请").click()
    expect(citizen.locator("#paper")).to_contain_text("郑一帆")
    check_page(citizen, "33-consent-done")
    case = Case.objects.get(household=household)
    assert [(a["signer_name"], a["signer_role"], a["method"]) for a in case.data["declared"]["authorizations"]] == [
        ("郑国强", "self", "sms"), ("吴美华", "self", "typed"), ("吴美华", "proxy", "proxy")]  # fmt: skip

    # the acceptor: 受理 refused until the son's own paper is uploaded for him
    acceptor = pages.login(pages.new(), "anyang_acceptor")
    acceptor.goto(f"{base}/cases/{case.number}/")
    _act(acceptor, "受理")
    expect(acceptor.locator(".banner.error").first).to_contain_text("郑一帆")
    shot(acceptor, "portal-34-consent-accept-refused")
    assert Case.objects.get(pk=case.pk).step == "apply"
    upload_paper(acceptor, "郑一帆", paper)
    _act(acceptor, "受理")
    expect(acceptor.locator("body")).to_contain_text("入户调查")
    assert Case.objects.get(pk=case.pk).step == "investigate"

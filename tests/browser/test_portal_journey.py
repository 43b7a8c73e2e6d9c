"""The citizen portal in real Chromium on a phone (375 × 812): a citizen signs in with the code
read from the message table, binds the real name, applies for 低保 with two members and one upload,
signs the 授权书 and submits; the township acceptor finds the case in the workbench inbox and asks
for materials once (一次性告知补正); the citizen sees what is missing and uploads in place; the
acceptor accepts and the citizen sees the case move on. Then the anonymous progress lookup by case
number + the last six of the ID, and a hardship report (一键报贫) that appears as an alert in the
township's list. Every main portal page is shot at 375 px, checked for horizontal overflow at 375
and 320 px and for its weight (< 200 KB transferred, images left out)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from minzheng.engines.cases.models import Case
from minzheng.engines.monitoring.models import HardshipReport
from minzheng.foundation.codes.idnumbers import make_id_number
from minzheng.foundation.documents.render import render_pdf
from minzheng.foundation.documents.spec import Document, Paragraph
from minzheng.foundation.notify.models import Message

from .conftest import ANYANG, PHONE, browser_db, shot

pytestmark = [pytest.mark.browser, browser_db]
NARROW = {"width": 320, "height": 700}
PHONE_NUMBER = "13912345678"


def check_page(page, name: str) -> None:
    """Screenshot at 375 px; no horizontal overflow at 375 and 320 px; Chinese text."""
    page.set_viewport_size(PHONE)
    shot(page, f"portal-{name}")
    for size in (PHONE, NARROW):
        page.set_viewport_size(size)
        over = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
        assert over <= 0, f"{name}: {over}px wider than {size['width']}px"
    page.set_viewport_size(PHONE)
    text = page.locator("body").inner_text()
    assert len(re.findall(r"[\u4e00-\u9fff]", text)) > 10, name
    assert page.locator("html").get_attribute("lang") == "zh-CN"


class Weight:
    """Bytes transferred per page load (images left out), from the responses' bodies."""

    def __init__(self, page):
        self.total = 0
        page.on("response", self._add)

    def _add(self, response):
        if response.request.resource_type == "image":
            return
        try:
            self.total += len(response.body())
        except Exception:  # a redirect has no body
            self.total += 0

    def load(self, page, url: str) -> int:
        self.total = 0
        page.goto(url)
        page.wait_for_load_state("load")
        return self.total


def test_citizen_applies_is_asked_for_materials_and_is_accepted(pages, world, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    from minzheng.business.assistance.services import standards_load

    standards_load()
    base = pages.base_url
    pdf = tmp_path / "户口簿.pdf"
    pdf.write_bytes(render_pdf(Document(title="户口簿", blocks=[Paragraph("户口簿复印件")])))
    me_id = make_id_number("330381", __import__("datetime").date(1968, 3, 9), 41)
    spouse_id = make_id_number("330381", __import__("datetime").date(1970, 6, 2), 42)

    citizen = pages.new(PHONE)
    weight = Weight(citizen)
    # 1. the home page, then sign in with the code from the message table
    assert weight.load(citizen, f"{base}/portal/") < 200_000
    check_page(citizen, "01-home")
    citizen.goto(f"{base}/portal/login/")
    check_page(citizen, "02-login")
    citizen.fill("#id_phone", PHONE_NUMBER)
    citizen.get_by_role("button", name="获取验证码").click()
    message = Message.objects.filter(channel="sms").order_by("-id").first()
    code = re.search(r"\d{6}", message.body).group(0)
    citizen.fill("#id_code", code)
    citizen.get_by_role("button", name="登录").click()
    expect(citizen.locator("body")).to_contain_text("退出")

    # 2. real-name binding
    citizen.goto(f"{base}/portal/account/")
    citizen.fill("#id_name", "陈大明")
    citizen.fill("#id_id_number", me_id)
    citizen.get_by_role("button", name="认证").click()
    expect(citizen.locator("main")).to_contain_text("已认证")
    check_page(citizen, "03-account")

    # 3. apply for 低保: two members, the place, incomes, property, one upload, the 授权书
    citizen.goto(f"{base}/portal/apply/")
    check_page(citizen, "04-apply-start")
    citizen.get_by_label("最低生活保障", exact=False).first.check()
    citizen.locator("input[name='choice']").first.check()
    citizen.get_by_role("button", name="开始填写").click()
    citizen.locator("#members summary, #members details > summary").first.click()
    citizen.fill("input[name='name']", "林小红")
    citizen.fill("input[name='id_number']", spouse_id)
    citizen.select_option("select[name='relation']", label="配偶")
    citizen.get_by_role("button", name="添加").click()
    expect(citizen.locator("#members")).to_contain_text("林小红")
    citizen.select_option("#township", ANYANG)
    citizen.get_by_role("button", name="选好乡镇，列出村（社区）").click()
    citizen.select_option("#village", index=1)
    citizen.locator("input[name='hukou_type']").first.check()
    citizen.fill("#address", "安阳路18号")
    check_page(citizen, "05-apply-household")
    citizen.get_by_role("button", name="保存，下一步").click()
    citizen.get_by_role("button", name="保存，下一步").click()  # incomes: none
    citizen.get_by_role("button", name="保存，下一步").click()  # property: none
    if citizen.get_by_role("button", name="下一步：上传材料").count():
        check_page(citizen, "06-apply-check")
        citizen.get_by_role("button", name="下一步：上传材料").click()
    citizen.select_option("select[name='code']", index=0)
    citizen.set_input_files("input[name='file']", str(pdf))
    citizen.get_by_role("button", name="上传").click()
    expect(citizen.locator("body")).to_contain_text("户口簿.pdf")
    check_page(citizen, "07-apply-materials")
    citizen.get_by_role("button", name="下一步：签署授权书").click()
    form = citizen.locator("form", has=citizen.locator("input[name='id6']")).first
    form.locator("input[name='name']").fill("陈大明")
    form.locator("input[name='id6']").fill(me_id[-6:])
    form.locator("input[name='agree']").check()
    form.get_by_role("button", name="签署").click()
    # 林小红 is not in the registry (no phone to confirm with): signed for her, her paper due at 受理
    proxy = citizen.locator("details.proxy").first
    proxy.locator("summary").click()
    proxy.locator("input[name='proxy']").check()
    proxy.get_by_role("button", name="代为签署").click()
    expect(citizen.locator("main")).to_contain_text("受理时须交林小红本人签字的书面授权书")
    check_page(citizen, "08-apply-sign")
    citizen.get_by_role("button", name="下一步：确认提交").click()
    citizen.get_by_role("button", name="确认提交申请").click()
    expect(citizen.locator("body")).to_contain_text("DB-330381-")
    check_page(citizen, "09-apply-done")
    case = Case.objects.get(channel="portal")
    assert case.step == "apply"

    # 4. the township acceptor: the inbox, then 一次性告知补正
    acceptor = pages.login(pages.new(), "anyang_acceptor")
    acceptor.goto(f"{base}/cases/inbox/")
    expect(acceptor.locator("main")).to_contain_text(case.number)
    acceptor.goto(f"{base}/cases/{case.number}/")
    _act(acceptor, "一次性告知补正", "请补充户口簿复印件（全家）")
    expect(acceptor.locator("body")).to_contain_text("补正")

    # 5. the citizen sees what is missing and uploads in place
    citizen.goto(f"{base}/portal/cases/")
    check_page(citizen, "10-cases")
    citizen.locator(f"a[href*='{case.number}']").first.click()
    expect(citizen.locator("#missing")).to_contain_text("请补充户口簿复印件（全家）")  # the 一次性告知 itself
    check_page(citizen, "11-case-supplement")
    before = citizen.locator("#materials li").count()
    citizen.select_option("#upload select[name='code']", index=0)
    citizen.set_input_files("#upload input[name='file']", str(pdf))
    citizen.locator("#upload").get_by_role("button", name="上传").click()
    expect(citizen.locator("#materials li")).to_have_count(before + 1)

    # 6. the acceptor receives 林小红's signed paper 授权书, then accepts; the citizen sees the status change
    acceptor.reload()
    upload_paper(acceptor, "林小红", pdf)
    _act(acceptor, "受理")
    expect(acceptor.locator("body")).to_contain_text("入户调查")
    citizen.reload()
    expect(citizen.locator("main")).to_contain_text("入户调查")
    check_page(citizen, "12-case-accepted")
    assert Case.objects.get(pk=case.pk).step == "investigate"

    # 7. anyone: progress lookup by case number + the last six of the ID
    visitor = pages.new(PHONE)
    vweight = Weight(visitor)
    assert vweight.load(visitor, f"{base}/portal/lookup/") < 200_000
    visitor.fill("input[name='number']", case.number)
    visitor.fill("input[name='id6']", "000000")
    visitor.get_by_role("button", name="查询").click()
    expect(visitor.locator("main")).not_to_contain_text("入户调查")
    visitor.fill("input[name='number']", case.number)
    visitor.fill("input[name='id6']", me_id[-6:])
    visitor.get_by_role("button", name="查询").click()
    expect(visitor.locator("main")).to_contain_text("查询结果")
    expect(visitor.locator("main")).to_contain_text("入户调查")
    check_page(visitor, "13-lookup")
    assert vweight.load(visitor, f"{base}/portal/notices/?region={ANYANG}") < 200_000
    check_page(visitor, "14-notices")


def upload_paper(page, member: str, path) -> None:
    """The township uploads a member's own signed paper 授权书 on the case page (所属成员 chosen)."""
    expect(page.locator("#paper-signatures")).to_contain_text(member)
    page.select_option("#id_material-code", "authorisation")
    page.select_option("#id_material-person", label=member)
    page.set_input_files("#id_material-file", str(path))
    page.get_by_role("button", name="上传材料").click()
    expect(page.locator("#paper-signatures")).to_have_count(0)


def _act(page, action_name: str, opinion: str = ""):
    panel = page.locator("details.action", has=page.locator("summary", has_text=action_name)).first
    if panel.get_attribute("open") is None:
        panel.locator("summary").click()
    if opinion:
        panel.locator("textarea[name$='-opinion']").fill(opinion)
    panel.get_by_role("button", name=action_name).click()


def test_hardship_report_from_the_portal_becomes_the_townships_alert(pages, world, tmp_path, settings):
    from django.core.cache import cache

    settings.MEDIA_ROOT = tmp_path / "media"
    cache.clear()
    base = pages.base_url
    png = tmp_path / "现场.png"
    png.write_bytes(
        __import__("base64").b64decode(
            "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
        )
    )
    visitor = pages.new(PHONE)
    weight = Weight(visitor)
    assert weight.load(visitor, f"{base}/portal/report/") < 200_000
    check_page(visitor, "20-report")
    visitor.get_by_label("为他人报告").check()
    visitor.fill("#id_subject_name", "李奶奶")
    visitor.fill("#id_description", "八十岁独居老人，腿脚不便，冬天没有取暖，吃饭有困难")
    # the place: 浙江省 › 温州市 › 瑞安市 › 安阳街道 › a village, filled in place by report.js
    for level, value in (("province", "330000000000"), ("city", "330300000000"), ("county", "330381000000"),
                         ("township", ANYANG)):  # fmt: skip
        visitor.select_option(f"#id_{level}", value)
    visitor.wait_for_selector("#id_village")
    visitor.select_option("#id_village", index=1)
    visitor.fill("#id_address", "安阳路8号")
    visitor.set_input_files("#id_photo", str(png))
    visitor.fill("#id_reporter_name", "张热心")
    visitor.fill("#id_reporter_phone", "13800001234")
    check_page(visitor, "21-report-filled")
    visitor.get_by_role("button", name="提交报告").click()
    expect(visitor.locator("#report-number")).to_contain_text("BP")
    code = visitor.locator("#report-code").inner_text()
    check_page(visitor, "22-report-done")
    report = HardshipReport.objects.get()
    assert report.photo is not None and report.region_code.startswith(ANYANG[:9])
    # the status page: the link asks for the 查询码 and shows nothing without it
    visitor.get_by_role("link", name="查询办理情况").click()
    expect(visitor.locator("#id_number")).to_have_value(report.number)
    expect(visitor.locator("main")).not_to_contain_text("独居老人")
    expect(visitor.locator("#report-state")).to_have_count(0)
    visitor.fill("#id_code", "2222-2222-2222")
    visitor.get_by_role("button", name="查询", exact=True).click()
    expect(visitor.locator("#lookup-message")).to_contain_text("未查询到匹配的困难报告")
    visitor.fill("#id_code", code.lower())
    visitor.get_by_role("button", name="查询", exact=True).click()
    expect(visitor.locator("#report-state")).to_contain_text("等待乡镇（街道）核实")
    expect(visitor.locator("main")).to_contain_text("独居老人")
    check_page(visitor, "23-report-status")

    # the township's 预警 list shows it
    township = pages.login(pages.new(), "anyang_acceptor")
    township.goto(f"{base}/monitoring/alerts/")
    expect(township.locator("main")).to_contain_text(report.alert.number)

    # the same form without JavaScript: the township button reloads the page with its villages
    context = pages.browser.new_context(viewport=PHONE, locale="zh-CN", java_script_enabled=False)
    pages.contexts.append(context)
    nojs = context.new_page()
    nojs.goto(f"{base}/portal/report/?region={ANYANG}")
    nojs.fill("#id_description", "一家三口，父亲重病")
    nojs.get_by_role("button", name="列出下一级").click()
    expect(nojs.locator("#id_village")).to_be_visible()
    assert nojs.input_value("#id_description") == "一家三口，父亲重病"
    nojs.select_option("#id_village", index=1)
    nojs.check("#id_anonymous")
    nojs.get_by_role("button", name="提交报告").click()
    expect(nojs.locator("#report-number")).to_contain_text("BP")
    assert HardshipReport.objects.filter(anonymous=True).count() == 1

"""The institution site (机构端) in real Chromium at phone width: an inspector records a fire-safety
inspection with a failed item (a hazard); the county opens the home's institution account on the
workbench; the home's staff sign in on the portal with the password and the SMS code and upload the
rectification with a photo; the inspector re-inspects and closes the hazard; the county's published
双随机 draw shows on the portal's public page."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from minzheng.engines.supervision import draws
from minzheng.engines.supervision.models import Hazard, Rectification
from minzheng.engines.supervision.services import supervised_register
from minzheng.foundation.accounts.services import user_create
from minzheng.foundation.audit.models import AuditEvent
from minzheng.foundation.notify.models import Message
from tests.engines.supervision.helpers import PNG, entity_make, kind_declared, limits_set, template_make

from .conftest import ANYANG, BROWSER_PASSWORD, PHONE, browser_db, nav_link, shot

pytestmark = [pytest.mark.browser, browser_db]
RUIAN = "330381000000"
INST_PASSWORD = "Jigou#2026pass"


def test_the_home_rectifies_through_its_own_account_and_the_draw_is_public(pages, world, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    photo = tmp_path / "整改.png"
    photo.write_bytes(PNG)
    with kind_declared() as kind:
        county = user_create(username="ra_approver", password=BROWSER_PASSWORD, display_name="瑞安市审批员",
                             grants=[("approver", RUIAN), ("admin", RUIAN)])  # fmt: skip
        user_create(username="anyang_inspector", password=BROWSER_PASSWORD, display_name="安阳街道检查员",
                    grants=[("inspector", ANYANG)])  # fmt: skip
        limits_set()
        template_make(county)
        home = supervised_register(user=county, entity=entity_make(county, "330381001001", 1, "安阳颐养院"),
                                   kind=kind.code, status="operating", attributes={"beds": 80, "nature": "public"})  # fmt: skip

        # 1. the inspector, on a phone, records a fire-safety inspection: 疏散通道 fails
        page = pages.login(pages.new(PHONE), "anyang_inspector")
        nav_link(page, "监管对象").click()
        page.get_by_role("link", name="安阳颐养院").click()
        page.select_option("#id_purpose", "fire")
        page.get_by_role("button", name="开始检查").click()
        expect(page.locator("main")).to_contain_text("疏散通道畅通")  # the form is there before its items are read
        for fieldset in page.locator("fieldset.item").all():
            if "疏散通道" in fieldset.locator("legend").inner_text():
                fieldset.get_by_label("不符合").check()
                fieldset.locator("textarea").fill("二楼通道堆放杂物")
            else:
                fieldset.get_by_label("符合", exact=True).check()
        page.get_by_role("button", name="保存检查结果").click()
        expect(page.locator("main")).to_contain_text("已记录 3/3 项")
        page.fill("#id_conclusion", "存在重大消防隐患，限期整改")
        page.set_input_files("#id_inspector_signature", str(photo))
        page.fill("#id_representative_refused", "负责人不在")
        page.get_by_role("button", name="完成检查").click()
        expect(page.locator("main")).to_contain_text("发现隐患 1 项")
        hazard = Hazard.objects.get()

        # 2. the county opens the home's institution account on the entity page
        office = pages.login(pages.new(), "ra_approver")
        office.goto(f"{pages.base_url}/supervision/entities/{home.pk}/")
        office.locator("#accounts summary", has_text="开通机构端账号").click()
        office.fill("#id_username", "anyang.home")
        office.fill("#id_name", "陈护理")
        office.fill("#id_phone", "13955550001")
        office.fill("#id_password", INST_PASSWORD)
        office.get_by_role("button", name="开通").click()
        expect(office.locator("#accounts")).to_contain_text("anyang.home")

        # 3. the home's staff sign in on a phone: password, then the SMS code
        inst = pages.new(PHONE)
        inst.goto(f"{pages.base_url}/portal/")
        inst.get_by_role("link", name="机构端").first.click()
        inst.fill("#id_username", "anyang.home")
        inst.fill("#id_password", INST_PASSWORD)
        inst.get_by_role("button", name="下一步：短信验证").click()
        code = re.search(r"\b(\d{6})\b", Message.objects.get(related_type="portal.institution").body).group(1)
        inst.fill("#id_code", code)
        inst.get_by_role("button", name="登录").click()
        expect(inst.locator("main")).to_contain_text("安阳颐养院")
        inst.get_by_role("link", name="疏散通道畅通", exact=False).first.click()
        inst.fill("#id_text", "已清理二楼通道杂物并设专人巡查")
        inst.set_input_files("#id_photos", str(photo))
        shot(inst, "institution-rectify-phone")
        inst.get_by_role("button", name="提交整改情况").click()
        expect(inst.locator("main")).to_contain_text("整改情况已提交")
        hazard.refresh_from_db()
        rect = Rectification.objects.get()
        assert hazard.state == "submitted" and rect.channel == "institution" and rect.photos.count() == 1
        event = AuditEvent.objects.get(action="supervision.rectification_submit")
        assert event.actor_id is None and event.actor_name.startswith("机构 anyang.home")

        # 4. the inspector re-inspects on the phone and closes it
        page.goto(f"{pages.base_url}/supervision/hazards/{hazard.pk}/")
        expect(page.locator("main")).to_contain_text("已清理二楼通道杂物")
        page.get_by_label("整改到位，销号").check()
        page.fill("#id_note", "现场复查，通道畅通")
        page.get_by_role("button", name="保存复查结论").click()
        expect(page.locator("main")).to_contain_text("复查合格，隐患已销号")
        hazard.refresh_from_db()
        assert hazard.state == "closed"
        inst.goto(f"{pages.base_url}/portal/institution/")
        expect(inst.locator("main")).to_contain_text("没有待整改的隐患")

        # 5. the county's draw, once published, shows on the portal (an unpublished one does not)
        plan = draws.draw_run(user=county, kind=kind.code, region_code=RUIAN, inspectors_per_entity=1,
                              seed="2026-第一批", entities=1, name="2026年第一批双随机抽查")  # fmt: skip
        public = pages.new(PHONE)
        public.goto(f"{pages.base_url}/portal/draws/?region={RUIAN}")
        expect(public.locator("main")).to_contain_text("暂无公开的抽查结果")
        draws.draw_publish(user=county, plan=plan)
        public.goto(f"{pages.base_url}/portal/")
        public.get_by_role("link", name="双随机一公开").first.click()
        expect(public.locator("main")).to_contain_text("2026年第一批双随机抽查")
        expect(public.locator("main")).to_contain_text("安阳颐养院")
        shot(public, "portal-draws-phone")
        assert not pages.js_errors, pages.js_errors

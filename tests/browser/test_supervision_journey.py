"""An inspection to a closed hazard, in real Chromium at phone width: the inspector opens the home
from 监管对象, records a fire-safety inspection item by item with a failed item and its photo, signs
and completes it (a 重大隐患 with its deadline); the county enters the home's rectification; the
inspector re-inspects on the phone and the hazard is closed (销号) in the ledger."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from minzheng.engines.supervision.models import Hazard, Inspection
from minzheng.engines.supervision.services import supervised_register
from minzheng.foundation.accounts.services import user_create
from tests.engines.supervision.helpers import PNG, entity_make, kind_declared, limits_set, template_make

from .conftest import ANYANG, BROWSER_PASSWORD, PHONE, browser_db, nav_link, shot

pytestmark = [pytest.mark.browser, browser_db]
RUIAN = "330381000000"


def test_inspection_on_a_phone_to_a_closed_hazard(pages, world, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    photo = tmp_path / "通道.png"
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

        # 1. the inspector, on a phone, finds the home and starts a fire-safety inspection
        page = pages.login(pages.new(PHONE), "anyang_inspector")
        nav_link(page, "监管对象").click()
        page.get_by_role("link", name="安阳颐养院").click()
        expect(page.locator("main")).to_contain_text("80张")
        page.select_option("#id_purpose", "fire")
        page.get_by_role("button", name="开始检查").click()
        expect(page.locator("main")).to_contain_text("疏散通道畅通")
        inspection = Inspection.objects.get()

        # 2. item by item: 疏散通道 fails with a note and a photo, the others pass
        for fieldset in page.locator("fieldset.item").all():
            text = fieldset.locator("legend").inner_text()
            if "疏散通道" in text:
                fieldset.get_by_label("不符合").check()
                fieldset.locator("textarea").fill("二楼通道堆放杂物")
                fieldset.locator("input[type=file]").set_input_files(str(photo))
            else:
                fieldset.get_by_label("符合", exact=True).check()
        shot(page, "supervision-inspection-phone")
        page.get_by_role("button", name="保存检查结果").click()
        expect(page.locator("main")).to_contain_text("已记录 3/3 项")

        # 3. signatures and completion
        page.fill("#id_conclusion", "存在重大消防隐患，限期整改")
        page.set_input_files("#id_inspector_signature", str(photo))
        page.fill("#id_representative_name", "周建华")
        page.set_input_files("#id_representative_signature", str(photo))
        page.get_by_role("button", name="完成检查").click()
        expect(page.locator("main")).to_contain_text("发现隐患 1 项")
        hazard = Hazard.objects.get()
        assert hazard.level == "major" and inspection.results.get(outcome="fail").photos.count() == 1

        # 4. the county enters the home's rectification
        office = pages.login(pages.new(), "ra_approver")
        nav_link(office, "隐患台账").click()
        expect(office.locator("main")).to_contain_text("安阳颐养院")
        office.get_by_role("link", name="疏散通道畅通", exact=False).first.click()
        office.fill("#id_text", "已清理二楼通道杂物并设专人巡查")
        office.fill("#id_submitted_by_name", "周建华")
        office.get_by_role("button", name="提交整改情况").click()
        expect(office.locator("main")).to_contain_text("整改已提交")

        # 5. the inspector re-inspects on the phone and closes it
        page.goto(f"{pages.base_url}/supervision/hazards/{hazard.pk}/")
        page.get_by_label("整改到位，销号").check()
        page.fill("#id_note", "现场复查，通道畅通")
        page.get_by_role("button", name="保存复查结论").click()
        expect(page.locator("main")).to_contain_text("复查合格，隐患已销号")
        shot(page, "supervision-hazard-closed-phone")
        hazard.refresh_from_db()
        assert hazard.state == "closed" and home.pk == hazard.supervised_id

"""事项指南: generated from the published definitions, so guide and engine never disagree."""

import copy

import pytest
from django.test import Client

from minzheng.business.assistance.case_types import CASE_TYPES
from minzheng.engines.cases.services import case_type_publish

pytestmark = pytest.mark.django_db


def test_guide_lists_every_item_marked_online_or_window(regions):
    body = Client().get("/portal/guide/").content.decode()
    assert "最低生活保障申请" in body and "停保（终止救助）" in body
    dibao = body.split("最低生活保障申请</a>")[1].split("</article>")[0]
    stop = body.split("停保（终止救助）</a>")[1].split("</article>")[0]
    assert "可网上办理" in dibao and "窗口办理" in stop


def test_guide_item_shows_conditions_materials_steps_limits(regions):
    body = Client().get("/portal/guide/dibao_application/").content.decode()
    for text in ("受理条件", "人均收入低于当地最低生活保障标准", "家庭经济状况核对授权书", "（必交）",
                 "残疾人证或重病诊断证明（选交）", "已通过政务数据共享核验的，不再要求提供", "入户调查",
                 "乡镇（街道）调查员", "承诺时限 10 个工作日", "公示 7 日（自然日", "县（市、区）审批员",
                 "法定时限 10 个工作日", "自受理之日起 30 个工作日内办结", "45 个工作日", "不收费",
                 "乡镇人民政府（街道办事处）", "我要申请",
                 "法定时限 10 个工作日（最低生活保障审核确认办法（民发〔2021〕57号）第十五条至第二十二条"):  # fmt: skip
        assert text in body, text
    assert Client().get("/portal/guide/nope/").status_code == 404
    assert "窗口办理" in Client().get("/portal/guide/assistance_stop/").content.decode()


def test_guide_follows_a_new_version_of_the_definition(regions):
    d = copy.deepcopy(next(t for t in CASE_TYPES if t["code"] == "dibao_application"))
    d["materials"].append({"code": "bank_card", "name": "本人银行卡（存折）复印件", "required": False})
    d["steps"][2]["promised_days"] = 12
    d["online"] = False
    try:
        case_type_publish(definition=d, note="测试：增加材料")
        body = Client().get("/portal/guide/dibao_application/").content.decode()
        assert "本人银行卡（存折）复印件（选交）" in body and "承诺时限 12 个工作日" in body
        assert "窗口办理" in body and "我要申请" not in body
    finally:
        case_type_publish(definition=copy.deepcopy(next(t for t in CASE_TYPES if t["code"] == "dibao_application")))

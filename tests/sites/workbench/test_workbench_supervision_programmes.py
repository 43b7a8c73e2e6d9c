"""Workbench pages of the supervision engine's programmes, on a test-only kind and list: a 双随机
draw plan made from the form (seed generated and shown), its pools, risk classes and pairs, the
re-run check, publication of the result and the findings; avoidances; a grading from the
self-assessment to the grade (the sheet's maxima checked, Chinese messages), its history on the
entity page and the expiring list; a list entry added and removed; an annual report entered by
staff from the template's typed fields and reviewed; the late list; the entity page's timeline;
another township's objects are 404."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from minzheng.engines.supervision import gradings, listings, reports
from minzheng.engines.supervision.models import AnnualReport, Avoidance, DrawPlan, Grading, Listing
from minzheng.engines.supervision.services import supervised_register
from minzheng.foundation.audit.models import AuditEvent
from tests.conftest import ANYANG, ANYANG_VILLAGE, RUIAN, TANGXIA, TANGXIA_VILLAGE
from tests.engines.supervision.helpers import KIND, entity_make, kind_declared, limits_set

pytestmark = pytest.mark.django_db

LIST = "wb_test_list"


def today() -> dt.date:
    return timezone.localdate()


@pytest.fixture
def world(make_user):
    lst = listings.ListDef(LIST, "测试异常名录", (("no_report", "未按时报送年度报告"),), removal_years=3)
    with kind_declared(), listings.LISTS.temporarily(LIST, lst):
        county = make_user("wb_prog_county", ("approver", RUIAN), ("admin", RUIAN))
        anyang = make_user("wb_prog_anyang", ("approver", ANYANG))
        inspectors = [make_user(f"wb_prog_insp{i}", ("inspector", ANYANG if i % 2 else TANGXIA)) for i in range(6)]
        limits_set()
        sites = [
            supervised_register(
                user=county,
                entity=entity_make(county, village, n, name),
                kind=KIND,
                status="operating",
                attributes={"beds": 50, "nature": "public"},
            )
            for n, (village, name) in enumerate(
                [
                    (ANYANG_VILLAGE, "安阳颐养院"),
                    (ANYANG_VILLAGE, "安阳康乐院"),
                    (TANGXIA_VILLAGE, "塘下敬老院"),
                    (TANGXIA_VILLAGE, "塘下幸福院"),
                ],
                1,
            )
        ]
        sheet = gradings.grading_sheet_create(
            user=county, kind=KIND, code="WB-100", name="测试评分表", effective_from=dt.date(2020, 1, 1),
            sections=[{"name": "环境", "maximum": 40}, {"name": "服务", "maximum": 60}],
            grades=[{"name": "二级", "rank": 2, "min_total": 80, "min_section_share": "0.7"},
                    {"name": "一级", "rank": 1, "min_total": 60, "min_section_share": "0.5"}],
        )  # fmt: skip
        sheet = gradings.grading_sheet_publish(user=county, sheet=sheet)
        template = reports.report_template_create(
            user=county, kind=KIND, code="wb_annual", name="测试年度报告", due_month=3, due_day=31, first_year=2020,
            fields=[{"code": "beds", "label": "床位数", "type": "int", "required": True, "min": 0, "max": 5000},
                    {"code": "staff", "label": "工作人员数", "type": "int", "min": 0}],
        )  # fmt: skip
        yield {"county": county, "anyang": anyang, "inspectors": inspectors, "sites": sites, "sheet": sheet,
               "template": template}  # fmt: skip


def login(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def url(name, *args) -> str:
    return reverse(f"workbench:supervision:{name}", args=args)


def test_a_draw_plan_from_the_form_verified_and_published(world):
    c = login(world["county"])
    form = c.get(url("draw_new"))
    assert form.status_code == 200
    seed = re.search(r'name="seed"[^>]*value="([0-9a-f]{16})"', form.content.decode())
    assert seed, "a seed is generated and shown"
    base = {"kind": KIND, "purpose": "random", "region_code": RUIAN, "inspectors_per_entity": 1,
            "exclude_township": "on", "seed": seed.group(1)}  # fmt: skip
    bad = c.post(url("draw_new"), {**base, "how": "share"})
    assert bad.status_code == 422 and "请填写抽取比例" in bad.content.decode()
    assert not DrawPlan.objects.exists()
    r = c.post(url("draw_new"), {**base, "how": "share", "share": "50"})
    plan = DrawPlan.objects.get()
    assert r.status_code == 302 and r["Location"] == url("draw", plan.pk)
    assert plan.seed == seed.group(1) and plan.entity_share * 100 == 50 and plan.exclude_township
    pairs = list(plan.pairs.all())
    assert len(pairs) == 2
    for p in pairs:  # own-township exclusion honoured: the inspector's township differs from the entity's
        town = p.supervised.entity.region_code[:9]
        assert all(not u.grants.filter(prefix__startswith=town).exists() for u in p.inspectors.all())
    page = c.get(url("draw", plan.pk)).content.decode()
    assert plan.number in page and seed.group(1) in page and "一般风险" in page
    assert all(p.uscc in page for p in pairs)
    assert "复核一致" in c.get(url("draw_verify", plan.pk)).content.decode()
    findings = c.post(url("draw_findings", plan.pk), {"summary": "未发现问题"})
    assert findings.status_code == 422 and "请先公开抽取结果" in findings.content.decode()
    assert c.post(url("draw_publish", plan.pk)).status_code == 302
    assert c.post(url("draw_findings", plan.pk), {"summary": "均未发现问题"}).status_code == 302
    plan.refresh_from_db()
    assert plan.published_at and plan.findings_summary == "均未发现问题"
    assert plan.number in c.get(url("draws")).content.decode()
    # a township user sees neither the county's plan nor may draw over the county
    a = login(world["anyang"])
    assert a.get(url("draw", plan.pk)).status_code == 404
    r = a.post(url("draw_new"), {**base, "how": "count", "entities": 1})
    assert r.status_code == 422 and DrawPlan.objects.count() == 1  # RUIAN is not among its choices


def test_avoidance_declared_and_ended_on_the_entity_page(world):
    c = login(world["county"])
    s = world["sites"][0]
    insp = world["inspectors"][1]
    r = c.post(url("avoidance_declare", s.pk), {"inspector": "nobody", "reason": "亲属"})
    assert r.status_code == 422 and "没有这个用户" in r.content.decode()
    assert c.post(url("avoidance_declare", s.pk), {"inspector": insp.username, "reason": "亲属任职"}).status_code == 302
    a = Avoidance.objects.get()
    assert "亲属任职" in c.get(url("entity", s.pk)).content.decode()
    assert c.post(url("avoidance_end", a.pk), {"reason": ""}).status_code == 422
    assert c.post(url("avoidance_end", a.pk), {"reason": "已离职"}).status_code == 302
    a.refresh_from_db()
    assert a.ended_on == today() and a.end_reason == "已离职"


def test_a_grading_from_self_assessment_to_the_grade(world):
    c = login(world["county"])
    s, sheet = world["sites"][0], world["sheet"]
    over = c.post(url("grading_start", s.pk), {"sheet": sheet.pk, "self-s0": "41", "self-s1": "50"})
    assert over.status_code == 422 and "环境得分不能超过满分 40" in over.content.decode()
    assert not Grading.objects.exists()
    r = c.post(url("grading_start", s.pk), {"sheet": sheet.pk, "self-s0": "36", "self-s1": "50"})
    g = Grading.objects.get()
    assert r["Location"] == url("grading", g.pk) and g.self_grade == "二级"
    page = c.get(url("grading", g.pk)).content.decode()
    assert "环境（满分 40）" in page and "录入评审打分" in page
    bad = c.post(url("grading_score", g.pk), {"member_name": "", "panel-s0": "30", "panel-s1": "70"})
    assert bad.status_code == 422 and "服务得分不能超过满分 60" in bad.content.decode()
    for name, env, service in (("专家甲", "30", "40"), ("专家乙", "32", "42")):
        r = c.post(url("grading_score", g.pk), {"member_name": name, "panel-s0": env, "panel-s1": service})
        assert r.status_code == 302
    assert c.post(url("grading_close", g.pk)).status_code == 302
    g.refresh_from_db()
    assert (g.state, g.total, g.proposed_grade) == ("scored", 72, "一级")
    r = c.post(
        url("grading_notice", g.pk), {"start": today() - dt.timedelta(days=9), "end": today() - dt.timedelta(days=10)}
    )
    assert r.status_code == 422 and "公示结束日期不能早于开始日期" in r.content.decode()
    r = c.post(
        url("grading_notice", g.pk), {"start": today() - dt.timedelta(days=10), "end": today() - dt.timedelta(days=3)}
    )
    assert r.status_code == 302
    until = today() + dt.timedelta(days=30)
    r = c.post(url("grading_decide", g.pk), {"decision_number": "瑞民〔2026〕1号", "valid_until": until})
    assert r.status_code == 302
    g.refresh_from_db()
    assert (g.state, g.grade, g.valid_until) == ("decided", "一级", until)
    entity = c.get(url("entity", s.pk)).content.decode()
    assert "现行等级：<strong>一级</strong>" in entity and "瑞民〔2026〕1号" in entity
    assert "评定 一级" in entity.split('id="timeline"')[1].split("</section>")[0]
    assert s.entity.name in c.get(url("grades_expiring"), {"days": 60}).content.decode()
    assert s.entity.name not in c.get(url("grades_expiring"), {"days": 10}).content.decode()


def test_a_grading_returned_and_withdrawn(world):
    c = login(world["county"])
    s = world["sites"][1]
    g = gradings.grading_self_assess(user=world["county"], supervised=s, sheet=world["sheet"],
                                     scores={"环境": 30, "服务": 50})  # fmt: skip
    gradings.grading_panel_score(user=world["county"], grading=g, member_name="专家", scores={"环境": 30, "服务": 50})
    gradings.grading_panel_close(user=world["county"], grading=g)
    assert c.post(url("grading_return", g.pk), {"ret-reason": ""}).status_code == 422
    assert c.post(url("grading_return", g.pk), {"ret-reason": "异议成立"}).status_code == 302
    g.refresh_from_db()
    assert g.state == "panel" and not g.panel_scores.exists()
    assert c.post(url("grading_withdraw", g.pk), {"wd-reason": "机构撤回申请"}).status_code == 302
    g.refresh_from_db()
    assert g.state == "withdrawn"
    assert AuditEvent.objects.filter(action="supervision.grading_withdraw", object_id=str(g.pk)).exists()


def test_a_list_entry_added_and_removed(world):
    c = login(world["county"])
    s = world["sites"][0]
    assert "测试异常名录：未按时报送年度报告" in c.get(url("entity", s.pk)).content.decode()
    r = c.post(url("listing_add", s.pk), {"list_reason": f"{LIST}:no_report", "decision_number": "瑞民〔2026〕7号"})
    assert r.status_code == 302
    entry = Listing.objects.get()
    assert entry.removal_due == entry.clock_start.replace(year=entry.clock_start.year + 3)
    page = c.get(url("listings"), {"list": LIST}).content.decode()
    assert s.entity.name in page and "瑞民〔2026〕7号" in page
    assert c.post(url("listing_add", s.pk), {"list_reason": "nope:x"}).status_code == 422
    assert c.post(url("listing_remove", entry.pk), {"reason": ""}).status_code == 422
    assert c.post(url("listing_remove", entry.pk), {"reason": "已补报"}).status_code == 302
    entry.refresh_from_db()
    assert entry.removed_at == today() and entry.removal_reason == "已补报"
    assert s.entity.name not in c.get(url("listings")).content.decode()
    assert s.entity.name in c.get(url("listings"), {"removed": "1"}).content.decode()


def test_an_annual_report_entered_by_staff_and_reviewed(world):
    c = login(world["county"])
    s, t = world["sites"][0], world["template"]
    year = today().year - 1
    assert "报告模板" in c.get(url("report_new", s.pk)).content.decode()
    q = f"?template={t.pk}&year={year}"
    form = c.get(url("report_new", s.pk) + q).content.decode()
    assert "床位数" in form and "工作人员数" in form
    r = c.post(url("report_new", s.pk) + q, {"beds": "", "staff": "3"})
    assert r.status_code == 422 and "请填写此项" in r.content.decode()
    r = c.post(url("report_new", s.pk) + q, {"beds": "9000"})
    assert r.status_code == 422 and not AnnualReport.objects.exists()
    r = c.post(url("report_new", s.pk) + q, {"beds": "60", "staff": "8"})
    report = AnnualReport.objects.get()
    assert r["Location"] == url("report", report.pk)
    assert report.state == "submitted" and report.values == {"beds": 60, "staff": 8}
    assert report.late == (today() > report.due_on)
    page = c.get(url("report", report.pk)).content.decode()
    assert "60" in page and "审核" in page
    r = c.post(url("report_review", report.pk), {"accept": "0", "reason": ""})
    assert r.status_code == 422 and "退回须说明原因" in r.content.decode()
    assert c.post(url("report_review", report.pk), {"accept": "1"}).status_code == 302
    report.refresh_from_db()
    assert report.state == "accepted"
    listing = c.get(url("reports"), {"year": year}).content.decode()
    missing = listing.split('id="missing"')[1]
    assert s.entity.name not in missing  # filed
    if today() > report.due_on:  # after the due day, the others of the kind that filed nothing are late
        assert world["sites"][1].entity.name in missing
        assert s.entity.name in c.get(url("reports"), {"late": "1"}).content.decode()


def test_the_entity_page_timeline_and_another_townships_objects(world):
    county, s = world["county"], world["sites"][2]  # 塘下
    listings.listing_add(user=county, supervised=s, list_code=LIST, reason_code="no_report")
    g = gradings.grading_self_assess(user=county, supervised=s, sheet=world["sheet"], scores={"环境": 30, "服务": 50})
    report = reports.report_save(user=county, template=world["template"], supervised=s, year=today().year - 1,
                                 values={"beds": 10})  # fmt: skip
    page = login(county).get(url("entity", s.pk)).content.decode()
    line = page.split('id="timeline"')[1].split("</section>")[0]
    assert "列入测试异常名录" in line and "等级评定自评" in line and "年度报告" in line and "状态" in line
    a = login(world["anyang"])
    for name, pk in (("entity", s.pk), ("grading", g.pk), ("report", report.pk), ("report_new", s.pk)):
        assert a.get(url(name, pk)).status_code == 404, name
    assert a.post(url("listing_remove", Listing.objects.get().pk), {"reason": "x"}).status_code == 404
    assert s.entity.name not in a.get(url("listings")).content.decode()

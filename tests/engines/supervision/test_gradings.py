"""Gradings: the evaluator against a brute-force reading of the rule (hypothesis), monotonic in the
scores, the three worked examples of eldercare.md §2 on a test-only sheet with those numbers, and
the grading process from self-assessment to a grade with its validity."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from minzheng.engines.supervision import gradings as g
from minzheng.engines.supervision.gradings import Sheet, sheet_evaluate
from minzheng.engines.supervision.models import GradingEvent, GradingState
from minzheng.foundation.audit.models import AuditEvent
from minzheng.foundation.parameters.models import Standard
from tests.conftest import RUIAN

from .world import *  # noqa: F403  (the fixtures)
from .world import KIND, today

# the numbers of ../shared/docs/domain/eldercare.md §2 (the eldercare line seeds its own sheet)
SECTIONS = [{"name": "环境", "maximum": "120"}, {"name": "设施设备", "maximum": "130"},
            {"name": "运营管理", "maximum": "150"}, {"name": "服务", "maximum": "600"}]  # fmt: skip
GRADES = [{"name": n, "rank": r, "min_total": t, "min_section_share": s}
          for n, r, t, s in (("五级", 5, "900", "0.9"), ("四级", 4, "780", "0.8"), ("三级", 3, "570", "0.6"),
                             ("二级", 2, "450", "0.5"), ("一级", 1, "360", "0.4"))]  # fmt: skip
SHEET = Sheet.from_data("TEST-1000", SECTIONS, GRADES, "测试评分表")


def scores(a, b, c, d) -> dict:
    return {"环境": a, "设施设备": b, "运营管理": c, "服务": d}


@pytest.mark.parametrize(
    "given_, total, grade, lowest",
    [
        # 110/120 = 91.67 % is the lowest share (the domain note's table prints 120/130 = 92.3 %;
        # either way every section is above 90 % and the grade is 五级)
        (scores(110, 120, 140, 560), 930, "五级", Decimal("0.9167")),
        (scores(100, 110, 130, 560), 900, "四级", Decimal("0.8333")),  # total reaches 五级, shares do not
        (scores(40, 100, 120, 500), 760, None, Decimal("0.3333")),  # 环境 below 40 %
    ],
)
def test_the_worked_examples_of_the_domain_note(given_, total, grade, lowest):
    result = sheet_evaluate(SHEET, given_)
    assert (result.total, result.grade, result.lowest_share) == (total, grade, lowest)
    assert result.explanation[0] == f"总分 {total}（满分 1000）"
    assert result.explanation[-1] == (f"评定结果：{grade}" if grade else "评定结果：未达到任何等级")


def test_the_explanation_says_why_a_higher_grade_is_missed():
    lines = sheet_evaluate(SHEET, scores(100, 110, 130, 560)).explanation
    assert "五级：须总分 ≥ 900 且各项得分率 ≥ 90%；环境、设施设备、运营管理得分率不足 90%，不符合" in lines
    assert "四级：须总分 ≥ 780 且各项得分率 ≥ 80%，均符合" in lines
    assert "最低得分率 83.33%（环境）" in lines


def test_refusals_in_chinese():
    with pytest.raises(ValidationError) as exc:
        sheet_evaluate(SHEET, {"环境": 121, "设施设备": -1, "运营管理": "abc", "服务": 10, "绿化": 5})
    errors = exc.value.message_dict
    assert errors["环境"] == ["「环境」的得分 121 超过该项满分 120"]
    assert errors["设施设备"] == ["「设施设备」的得分不能为负数"]
    assert errors["运营管理"] == ["「运营管理」的得分应为数值"]
    assert "评分表没有评分项「绿化」" in errors["绿化"][0]
    with pytest.raises(ValidationError, match="缺少评分项「服务」"):
        sheet_evaluate(SHEET, {"环境": 1, "设施设备": 1, "运营管理": 1})
    with pytest.raises(ValidationError, match="最多保留2位小数"):
        sheet_evaluate(SHEET, scores(1, 1, 1, "1.001"))


def test_a_sheet_is_checked_whole():
    with pytest.raises(ValidationError, match="满分须大于 0"):
        Sheet.from_data("X", [{"name": "a", "maximum": 0}], [])
    with pytest.raises(ValidationError, match="总分门槛须在 0 到满分 10"):
        Sheet.from_data("X", [{"name": "a", "maximum": 10}], [{"name": "一级", "rank": 1, "min_total": 11,
                                                               "min_section_share": "0.5"}])  # fmt: skip
    with pytest.raises(ValidationError, match="得分率须在 0 到 1"):
        Sheet.from_data("X", [{"name": "a", "maximum": 10}], [{"name": "一级", "rank": 1, "min_total": 1,
                                                               "min_section_share": "1.5"}])  # fmt: skip


# --- properties -----------------------------------------------------------------------------------

maxima = st.lists(st.integers(1, 300), min_size=1, max_size=5)


@st.composite
def sheets_and_scores(draw):
    tops = draw(maxima)
    sections = [{"name": f"项{i}", "maximum": m} for i, m in enumerate(tops)]
    n = draw(st.integers(0, 5))
    ranks = draw(st.lists(st.integers(1, 9), min_size=n, max_size=n, unique=True))
    grades = [{"name": f"{r}级", "rank": r, "min_total": draw(st.integers(0, sum(tops))),
               "min_section_share": Decimal(draw(st.integers(0, 100))) / 100} for r in ranks]  # fmt: skip
    sheet = Sheet.from_data("P", sections, grades)
    given_ = {s["name"]: Decimal(draw(st.integers(0, s["maximum"] * 4))) / 4 for s in sections}
    return sheet, given_


def brute_force(sheet: Sheet, given_: dict):
    """The rule read literally, in fractions: every grade whose total and every section's share hold;
    the best of them by rank."""
    from fractions import Fraction

    total = sum(given_.values())
    ok = [gr for gr in sheet.grades
          if total >= gr.min_total
          and all(Fraction(given_[s.name]) / Fraction(s.maximum) >= Fraction(gr.min_section_share)
                  for s in sheet.sections)]  # fmt: skip
    return max(ok, key=lambda gr: gr.rank).name if ok else None


@settings(max_examples=300, deadline=None)
@given(sheets_and_scores())
def test_the_grade_is_the_brute_force_reading_of_the_rule(case):
    sheet, given_ = case
    result = sheet_evaluate(sheet, given_)
    assert result.grade == brute_force(sheet, given_)
    assert result.total == sum(given_.values())
    lowest = min(given_[s.name] / s.maximum for s in sheet.sections)
    assert abs(result.lowest_share - lowest) <= Decimal("0.00005")


@settings(max_examples=300, deadline=None)
@given(sheets_and_scores(), st.data())
def test_more_points_never_give_a_lower_grade(case, data):
    sheet, given_ = case
    name = data.draw(st.sampled_from([s.name for s in sheet.sections]))
    top = next(s.maximum for s in sheet.sections if s.name == name)
    assume(given_[name] < top)
    more = {**given_, name: given_[name] + Decimal(data.draw(st.integers(1, int((top - given_[name]) * 4)))) / 4}
    rank = {gr.name: gr.rank for gr in sheet.grades}
    before, after = sheet_evaluate(sheet, given_).grade, sheet_evaluate(sheet, more).grade
    assert (rank[after] if after else 0) >= (rank[before] if before else 0)


# --- the process ----------------------------------------------------------------------------------


@pytest.fixture
def sheet(site_kind, organiser):
    row = g.grading_sheet_create(user=organiser, kind=KIND, code="TEST-1000", name="测试评分表",
                                 effective_from=dt.date(2020, 1, 1), sections=SECTIONS, grades=GRADES)  # fmt: skip
    return g.grading_sheet_publish(user=organiser, sheet=row)


@pytest.mark.django_db
def test_self_assessment_panel_notice_decision_with_validity(sheet, sites, organiser, make_user):
    site = sites[0]
    assert g.sheet_for(kind=KIND, on=today()) == sheet
    assert sheet_evaluate(sheet, scores(110, 120, 140, 560)).grade == "五级"  # the stored sheet evaluates too
    grading = g.grading_self_assess(user=None, supervised=site, sheet=sheet, scores=scores(110, 120, 140, 560),
                                    channel="institution", submitted_by_name="院长")  # fmt: skip
    assert (grading.state, grading.self_grade, grading.self_total) == ("self", "五级", 930)
    with pytest.raises(ValidationError, match="已有进行中的等级评定"):
        g.grading_self_assess(user=organiser, supervised=site, sheet=sheet, scores=scores(1, 1, 1, 1))
    with pytest.raises(ValidationError, match="不能开始公示"):
        g.grading_notice_open(user=organiser, grading=grading, start=today(), end=today())
    g.grading_panel_score(user=organiser, grading=grading, member_name="专家甲", scores=scores(100, 110, 130, 560))
    g.grading_panel_score(user=organiser, grading=grading, member_name="专家乙", scores=scores(101, 111, 131, 561))
    with pytest.raises(ValidationError, match="已打分"):
        g.grading_panel_score(user=organiser, grading=grading, member_name="专家乙", scores=scores(1, 1, 1, 1))
    Standard.objects.create(key=g.PANEL_MIN.key, region_code=RUIAN, effective_from=dt.date(2020, 1, 1), value=3,
                            source_document="测试")  # fmt: skip
    with pytest.raises(ValidationError, match="至少 3 人"):
        g.grading_panel_close(user=organiser, grading=grading)
    g.grading_panel_score(user=organiser, grading=grading, member_name="专家丙", scores=scores(102, 112, 132, 562))
    grading = g.grading_panel_close(user=organiser, grading=grading)
    assert grading.scores == {"环境": "101.00", "设施设备": "111.00", "运营管理": "131.00", "服务": "561.00"}
    assert (grading.total, grading.proposed_grade) == (904, "四级")
    with pytest.raises(ValidationError, match="不能评定（须经公示）"):
        g.grading_decide(user=organiser, grading=grading, valid_until=today())
    start = today() - dt.timedelta(days=10)
    grading = g.grading_notice_open(user=organiser, grading=grading, start=start, end=today() - dt.timedelta(days=3),
                                    reference="GS-2026-01")  # fmt: skip
    with pytest.raises(ValidationError, match="公示期满后方可评定"):
        g.grading_decide(user=organiser, grading=grading, decided_on=today() - dt.timedelta(days=3),
                         valid_until=today())  # fmt: skip
    with pytest.raises(ValidationError, match="未配置等级评定结果有效期"):
        g.grading_decide(user=organiser, grading=grading)
    Standard.objects.create(key=g.VALIDITY_MONTHS.key, region_code=RUIAN, effective_from=dt.date(2020, 1, 1),
                            value=36, source_document="测试")  # fmt: skip
    decided = today() - dt.timedelta(days=1)
    grading = g.grading_decide(user=organiser, grading=grading, decided_on=decided, decision_number="瑞民〔2026〕1号")
    assert (grading.state, grading.grade, grading.grade_rank) == ("decided", "四级", 4)
    assert grading.valid_from == decided and grading.valid_until == g.add_months(decided, 36) - dt.timedelta(days=1)
    assert g.grade_current(site) == grading and list(g.grade_history(site)) == [grading]
    steps = list(GradingEvent.objects.filter(grading=grading).values_list("state_to", flat=True))
    assert steps == ["self", "panel", "scored", "notice", "decided"]
    assert AuditEvent.objects.filter(action="supervision.grading_decide", object_id=str(grading.pk)).exists()
    with pytest.raises(ValidationError, match="已评定"):
        g.grading_withdraw(user=organiser, grading=grading, reason="x")


@pytest.mark.django_db
def test_an_objection_sends_it_back_to_the_panel_and_an_opener_hook_gives_the_reference(sheet, sites, organiser):
    opened = []

    def opener(*, grading, user):
        opened.append(grading.pk)
        return f"CASE-{grading.pk}"

    grading = g.grading_self_assess(user=organiser, supervised=sites[1], sheet=sheet, scores=scores(90, 90, 90, 300))
    g.grading_panel_score(user=organiser, grading=grading, member_name="专家甲", scores=scores(90, 90, 90, 300))
    g.grading_panel_close(user=organiser, grading=grading)
    with g.NOTICE_OPENERS.temporarily(KIND, opener):
        grading = g.grading_notice_open(user=organiser, grading=grading, start=today(), end=today())
    assert grading.notice_reference == f"CASE-{grading.pk}" and opened == [grading.pk]
    grading = g.grading_return(user=organiser, grading=grading, reason="公示期间异议成立，重新评审")
    assert grading.state == GradingState.PANEL and grading.panel_scores.count() == 0 and grading.total is None
    g.grading_panel_score(user=organiser, grading=grading, member_name="专家甲", scores=scores(50, 60, 70, 300))
    assert g.grading_panel_close(user=organiser, grading=grading).proposed_grade == "一级"


@pytest.mark.django_db
def test_rights_and_expiring_grades(sheet, sites, organiser, make_user):
    township = make_user("s2_township", ("approver", "330381101000"))
    with pytest.raises(PermissionDenied):  # 安阳's site, 塘下's office
        g.grading_self_assess(user=township, supervised=sites[0], sheet=sheet, scores=scores(1, 1, 1, 1))

    def decided(site, until: dt.date, grade="三级", decided_on=None):
        gr = g.grading_self_assess(user=organiser, supervised=site, sheet=sheet, scores=scores(80, 80, 90, 400))
        g.grading_panel_score(user=organiser, grading=gr, member_name="甲", scores=scores(80, 80, 90, 400))
        g.grading_panel_close(user=organiser, grading=gr)
        g.grading_notice_open(user=organiser, grading=gr, start=today() - dt.timedelta(days=30),
                              end=today() - dt.timedelta(days=20))  # fmt: skip
        return g.grading_decide(user=organiser, grading=gr, decided_on=decided_on or today() - dt.timedelta(days=19),
                                valid_from=today() - dt.timedelta(days=19), valid_until=until)  # fmt: skip

    soon = decided(sites[0], today() + dt.timedelta(days=20))
    later = decided(sites[10], today() + dt.timedelta(days=200))  # 塘下
    replaced = decided(sites[2], today() + dt.timedelta(days=5), decided_on=today() - dt.timedelta(days=19))
    newer = decided(sites[2], today() + dt.timedelta(days=700), decided_on=today() - dt.timedelta(days=18))
    assert list(g.grades_expiring(organiser, within_days=30)) == [soon]
    assert replaced not in g.grades_expiring(None, within_days=30) and newer.state == "decided"
    with pytest.raises(ValidationError, match="未配置等级到期提醒天数"):
        g.grades_expiring(organiser, region=RUIAN)
    Standard.objects.create(key=g.EXPIRY_NOTICE_DAYS.key, region_code=RUIAN, effective_from=dt.date(2020, 1, 1),
                            value=365, source_document="测试")  # fmt: skip
    assert list(g.grades_expiring(organiser, region=RUIAN)) == [soon, later]
    assert list(g.grades_expiring(township, within_days=365)) == [later]  # its own township's only

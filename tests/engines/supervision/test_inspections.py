"""Checklists, inspections item by item, hazards to closure, the ledger, the overdue job, the PDF."""

import datetime as dt
import io

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.http import Http404
from openpyxl import load_workbook

from minzheng.engines.supervision import selectors, services
from minzheng.engines.supervision.jobs import HAZARDS_OVERDUE
from minzheng.engines.supervision.models import Hazard, HazardEvent, Inspection, TemplateItem
from minzheng.engines.supervision.records import inspection_pdf
from minzheng.foundation.documents.text import pdf_text
from minzheng.foundation.jobs.models import JobRun
from minzheng.foundation.notify.models import Message
from minzheng.foundation.parameters.models import Standard
from tests.conftest import ANYANG, ANYANG_VILLAGE

from .helpers import SECTIONS, signature, today

pytestmark = pytest.mark.django_db


def items(template) -> dict[str, TemplateItem]:
    return {i.code: i for i in TemplateItem.objects.filter(section__template=template)}


def inspect(inspector, supervised, template, *, fail=("F1", "F2"), on=None, complete=True) -> Inspection:
    """An inspection along the fire template: the items in ``fail`` fail, the others pass."""
    insp = services.inspection_start(user=inspector, supervised=supervised, purpose="fire", inspected_on=on)
    for code, item in items(template).items():
        outcome = "fail" if code in fail else "pass"
        services.inspection_result_set(user=inspector, inspection=insp, item=item, outcome=outcome,
                                       note="发现问题" if outcome == "fail" else "")  # fmt: skip
    if complete:
        insp = services.inspection_complete(
            user=inspector, inspection=insp, conclusion="存在消防隐患，限期整改", representative_name="周建华",
            inspector_signature=signature(inspector, ANYANG), representative_signature=signature(inspector, ANYANG),
        )  # fmt: skip
    return insp


def test_templates_are_data_checked_on_write_and_versioned(template, county, kind):
    assert template.version == 1 and template.published
    assert [s.title for s in template.sections.all()] == ["消防安全", "服务管理"]
    assert items(template)["F1"].hazard_level == "major" and items(template)["S1"].hazard_level == ""
    bad = [{"title": "甲", "items": [{"code": "A", "text": "甲", "legal_basis": "乙", "hazard_on_fail": True}]}]
    with pytest.raises(ValidationError, match="须注明隐患等级"):
        services.template_create(user=county, kind=kind.code, purpose="fire", code="T2", name="x",
                                 effective_from=dt.date(2020, 1, 1), sections=bad)  # fmt: skip
    no_basis = [{"title": "甲", "items": [{"code": "A", "text": "甲"}]}]
    with pytest.raises(ValidationError, match="法律依据"):
        services.template_create(user=county, kind=kind.code, purpose="fire", code="T2", name="x",
                                 effective_from=dt.date(2020, 1, 1), sections=no_basis)  # fmt: skip
    v2 = services.template_create(user=county, kind=kind.code, purpose="fire", code="T-FIRE", name="消防安全检查表",
                                  effective_from=today() - dt.timedelta(days=1), sections=SECTIONS)  # fmt: skip
    assert v2.version == 2
    assert selectors.template_for(kind=kind.code, purpose="fire", on=today()) == template  # v2 not published
    services.template_publish(user=county, template=v2)
    assert selectors.template_for(kind=kind.code, purpose="fire", on=today()) == v2
    assert selectors.template_for(kind=kind.code, purpose="fire", on=today() - dt.timedelta(days=2)) == template
    with pytest.raises(IntegrityError), transaction.atomic():
        TemplateItem.objects.filter(pk=items(template)["S1"].pk).update(hazard_level="major")


def test_inspection_turns_failed_hazard_items_into_hazards_with_deadlines_by_level(supervised, template, inspector):
    on = today() - dt.timedelta(days=3)
    insp = inspect(inspector, supervised, template, on=on)
    assert insp.state == "completed" and insp.score == 5 and insp.score_max == 20
    hazards = {h.level: h for h in insp.hazards.all()}
    assert set(hazards) == {"major", "general"}
    assert hazards["major"].deadline == on + dt.timedelta(days=7)
    assert hazards["general"].deadline == on + dt.timedelta(days=30)
    assert hazards["major"].state == "open" and hazards["major"].region_code == ANYANG_VILLAGE
    assert insp.record is not None and insp.record.kind == "pdf"
    text = pdf_text(inspection_pdf(insp), compact=True)
    for needle in ("监督检查记录", "安阳颐养院", "疏散通道畅通", "不符合（重大隐患）", "存在消防隐患", "周建华"):
        assert needle in text


def test_a_county_standard_beats_the_national_limit(supervised, template, inspector):
    Standard.objects.create(key="supervision_rectification_days", region_code="330381000000", mode="major",
                            effective_from=dt.date(2020, 1, 1), value=3, source_document="瑞安")  # fmt: skip
    insp = inspect(inspector, supervised, template, fail=("F1",))
    assert insp.hazards.get().deadline == insp.inspected_on + dt.timedelta(days=3)


def test_completion_needs_every_item_a_conclusion_and_both_signatures(supervised, template, inspector):
    insp = services.inspection_start(user=inspector, supervised=supervised, purpose="fire")
    f1 = items(template)["F1"]
    with pytest.raises(ValidationError, match="请写明发现的问题"):
        services.inspection_result_set(user=inspector, inspection=insp, item=f1, outcome="fail")
    services.inspection_result_set(user=inspector, inspection=insp, item=f1, outcome="pass")
    sign = signature(inspector, ANYANG)
    with pytest.raises(ValidationError, match="还有 2 个检查项目未记录结果"):
        services.inspection_complete(user=inspector, inspection=insp, conclusion="x", inspector_signature=sign,
                                     representative_refused="拒签")  # fmt: skip
    for code in ("F2", "S1"):
        services.inspection_result_set(user=inspector, inspection=insp, item=items(template)[code], outcome="na")
    with pytest.raises(ValidationError, match="请被检查单位负责人签名"):
        services.inspection_complete(user=inspector, inspection=insp, conclusion="x", inspector_signature=sign)
    with pytest.raises(ValidationError, match="请检查人员签名"):
        services.inspection_complete(user=inspector, inspection=insp, conclusion="x", representative_refused="拒签")
    insp = services.inspection_complete(user=inspector, inspection=insp, conclusion="符合要求",
                                        inspector_signature=sign, representative_refused="负责人拒绝签字")  # fmt: skip
    assert insp.hazards.count() == 0 and insp.score == 10 and insp.score_max == 10
    with pytest.raises(ValidationError, match="检查已完成"):
        services.inspection_result_set(user=inspector, inspection=insp, item=f1, outcome="fail", note="x")


def test_only_the_inspections_inspectors_in_their_region_record(supervised, template, inspector, other_inspector,
                                                                make_user):  # fmt: skip
    with pytest.raises(PermissionDenied):
        services.inspection_start(user=other_inspector, supervised=supervised, purpose="fire")
    insp = services.inspection_start(user=inspector, supervised=supervised, purpose="fire")
    colleague = make_user("sup_colleague", ("inspector", ANYANG))
    with pytest.raises(PermissionDenied, match="只有本次检查的检查人员"):
        services.inspection_result_set(user=colleague, inspection=insp, item=items(template)["S1"], outcome="pass")
    with pytest.raises(ValidationError, match="无该区划的检查权限"):
        services.inspection_start(user=inspector, supervised=supervised, purpose="fire", inspectors=[other_inspector])
    with pytest.raises(ValidationError, match=r"没有 .* 可用的「日常检查」检查表"):
        services.inspection_start(user=inspector, supervised=supervised, purpose="routine")


def test_a_hazard_closes_only_through_a_passing_reinspection(supervised, template, inspector, county):
    insp = inspect(inspector, supervised, template, fail=("F1",), on=today() - dt.timedelta(days=2))
    hazard = insp.hazards.get()
    with pytest.raises(ValidationError, match="隐患尚未提交整改情况，不能复查销号"):
        services.reinspection_record(user=inspector, hazard=hazard, passed=True, note="已整改")
    services.rectification_submit(user=county, hazard=hazard, text="已清理疏散通道杂物")
    with pytest.raises(ValidationError, match="正在等待复查"):
        services.rectification_submit(user=county, hazard=hazard, text="再次提交")
    services.reinspection_record(user=inspector, hazard=hazard, passed=False, note="通道仍有堆放")
    hazard.refresh_from_db()
    assert hazard.state == "returned" and hazard.closed_on is None
    with pytest.raises(ValidationError, match="须重新提交整改情况"):
        services.reinspection_record(user=inspector, hazard=hazard, passed=True, note="x")
    services.rectification_submit(user=None, hazard=hazard, text="已全部清理", channel="institution",
                                  submitted_by_name="周建华")  # fmt: skip
    with pytest.raises(PermissionDenied):
        services.rectification_submit(user=county, hazard=hazard, text="x", channel="institution")
    services.reinspection_record(user=inspector, hazard=hazard, passed=True, note="已整改到位")
    hazard.refresh_from_db()
    assert hazard.state == "closed" and hazard.closed_on == today()
    with pytest.raises(ValidationError, match="已销号"):
        services.rectification_submit(user=county, hazard=hazard, text="x")
    kinds = list(HazardEvent.objects.filter(hazard=hazard).values_list("kind", flat=True))
    assert kinds == ["found", "submitted", "returned", "submitted", "closed"]
    assert hazard.reinspections.count() == 2 and hazard.rectifications.count() == 2
    with pytest.raises(IntegrityError), transaction.atomic():
        Hazard.objects.filter(pk=hazard.pk).update(closed_on=None)


def test_ledger_filters_scoping_and_excel_export(supervised, template, inspector, county, make_user):
    old = inspect(inspector, supervised, template, on=today() - dt.timedelta(days=40))
    inspect(inspector, supervised, template, fail=("F2",), on=today())
    major_late = old.hazards.get(level="major")
    assert selectors.hazard_ledger(county).count() == 3
    assert set(selectors.hazard_ledger(county, overdue=True)) == set(old.hazards.all())
    assert list(selectors.hazard_ledger(county, overdue=True, level="major")) == [major_late]
    assert selectors.hazard_ledger(county, region="330381101").count() == 0
    assert selectors.hazard_ledger(county, supervised=supervised, state="open").count() == 3
    with pytest.raises(ValidationError):
        selectors.hazard_ledger(county, state="bogus")
    tangxia = make_user("sup_tx_leader", ("leader", "330381101"))
    assert selectors.hazard_ledger(tangxia).count() == 0
    with pytest.raises(Http404):
        selectors.hazard_get(tangxia, major_late.pk)
    Hazard.objects.filter(pk=major_late.pk).update(description='=HYPERLINK("x")')
    wb = load_workbook(io.BytesIO(selectors.hazard_ledger_xlsx(selectors.hazard_ledger(county))))
    rows = list(wb.active.iter_rows(values_only=True))
    assert rows[0][:3] == ("区划代码", "单位名称", "统一社会信用代码") and len(rows) == 4
    descriptions = [r[5] for r in rows[1:]]
    assert '\'=HYPERLINK("x")' in descriptions
    assert {r[10] for r in rows[1:]} >= {33}  # the major one: 40 − 7 days late


def test_daily_job_marks_overdue_alerts_the_county_and_escalates(supervised, template, inspector, county,
                                                                  make_user):  # fmt: skip
    from minzheng.engines.supervision.jobs import hazards_overdue_enqueue
    from minzheng.foundation.jobs.services import job_run

    city = make_user("sup_city", ("leader", "330300000000"))

    found = today() - dt.timedelta(days=20)
    insp = inspect(inspector, supervised, template, fail=("F1",), on=found)  # major: 7 days, escalate every 10
    hazard = insp.hazards.get()
    job = hazards_overdue_enqueue(on=found + dt.timedelta(days=7), run=False)
    assert job.kind == HAZARDS_OVERDUE
    job = job_run(job.pk)
    assert job.result == {"on": (found + dt.timedelta(days=7)).isoformat(), "overdue": 0, "escalated": 0}
    day = found + dt.timedelta(days=8)
    assert services.hazards_overdue_mark(on=day) == {"on": day.isoformat(), "overdue": 1, "escalated": 0}
    hazard.refresh_from_db()
    assert hazard.overdue_since == found + dt.timedelta(days=8) and hazard.escalation == 0
    alert = Message.objects.get(recipient=county)
    assert "隐患整改逾期" in alert.subject and "安阳颐养院" in alert.body and "重大隐患 1 项" in alert.body
    assert services.hazards_overdue_mark(on=day) == {"on": day.isoformat(), "overdue": 0, "escalated": 0}
    assert Message.objects.filter(recipient=county).count() == 1
    assert not Message.objects.filter(recipient=city).exists()  # the city hears of escalations only
    later = found + dt.timedelta(days=18)
    assert services.hazards_overdue_mark(on=later)["escalated"] == 1
    hazard.refresh_from_db()
    assert hazard.escalation == 1
    escalated = Message.objects.get(recipient=county, subject__contains="升级")
    assert "已升级督办" in escalated.body
    assert Message.objects.get(recipient=city).subject == escalated.subject
    assert services.hazards_overdue_mark(on=later)["escalated"] == 0  # once a step
    events = list(HazardEvent.objects.filter(hazard=hazard).values_list("kind", flat=True))
    assert events == ["found", "overdue", "escalated"]
    assert not Message.objects.filter(recipient=inspector).exists()  # the inspector has no county grant


def test_cli_overdue_marks_as_the_job_does(supervised, template, inspector, capsys):
    import json

    from django.core.management import call_command

    found = today() - dt.timedelta(days=10)
    inspect(inspector, supervised, template, fail=("F1",), on=found)
    call_command("supervision", "overdue", "--date", (found + dt.timedelta(days=8)).isoformat())
    assert json.loads(capsys.readouterr().out)["overdue"] == 1
    assert Hazard.objects.get().overdue_since == found + dt.timedelta(days=8)


def test_celery_beat_queues_the_daily_job(settings):
    from minzheng.engines.supervision.jobs import hazards_overdue_task

    assert settings.CELERY_BEAT_SCHEDULE["supervision-hazards-overdue"]["task"] == hazards_overdue_task.name
    job = JobRun.objects.get(pk=hazards_overdue_task())
    assert job.kind == HAZARDS_OVERDUE and job.title == "隐患逾期标记与升级"

"""Annual reports: typed templates per kind, filed by the entity or entered by staff, reviewed,
late ones flagged; overdue entities listed."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from minzheng.engines.supervision import reports as r
from minzheng.engines.supervision.models import AnnualReport, ReportState
from minzheng.foundation.audit.models import AuditEvent
from tests.conftest import RUIAN

from .world import *  # noqa: F403  (the fixtures)
from .world import KIND, today

pytestmark = pytest.mark.django_db

FIELDS = [
    {"code": "beds", "label": "床位数", "type": "int", "required": True, "min": 0, "max": 5000, "unit": "张"},
    {"code": "income", "label": "年度收入", "type": "decimal", "required": True, "min": "0", "unit": "元"},
    {"code": "audited_on", "label": "审计日期", "type": "date"},
    {"code": "fire_ok", "label": "消防验收", "type": "bool"},
    {"code": "kind_of", "label": "运营方式", "type": "choice", "choices": [["self", "自营"], ["lease", "委托"]]},
    {"code": "note", "label": "说明", "type": "text", "max": 20},
]


@pytest.fixture
def template(site_kind, organiser):
    return r.report_template_create(user=organiser, kind=KIND, code="t_annual", name="测试年度报告", fields=FIELDS,
                                    due_month=5, due_day=31, first_year=2020)  # fmt: skip


def test_a_template_is_checked_as_declarations(site_kind, organiser):
    def make(**over):
        data = dict(user=organiser, kind=KIND, code="t_x", name="x", fields=FIELDS, due_month=5, due_day=31,
                    first_year=2020)  # fmt: skip
        return r.report_template_create(**{**data, **over})

    with pytest.raises(ValidationError, match="不是有效的月、日"):
        make(due_month=2, due_day=30)
    with pytest.raises(ValidationError, match="须声明选项"):
        make(fields=[{"code": "c", "label": "c", "type": "choice"}])
    with pytest.raises(ValidationError, match="不认识的设置"):
        make(fields=[{"code": "c", "label": "c", "type": "int", "colour": "red"}])
    with pytest.raises(ValidationError, match="未声明"):
        make(kind="nope")
    with pytest.raises(PermissionDenied):
        r.report_template_create(user=_plain_user(), kind=KIND, code="t_y", name="y",
                                 fields=FIELDS, due_month=5, due_day=31, first_year=2020)  # fmt: skip
    assert make(due_month=2, due_day=29).due_day == 29


def _plain_user():
    from minzheng.foundation.accounts.services import user_create
    from tests.conftest import ANYANG, PASSWORD

    return user_create(username="s2_plain", password=PASSWORD, grants=[("inspector", ANYANG)])


def test_filed_by_the_entity_checked_returned_and_accepted(template, sites, organiser):
    year = today().year - 1
    site = sites[0]
    with pytest.raises(ValidationError) as exc:
        r.report_save(user=None, template=template, supervised=site, year=year, channel="institution",
                      filed_by_name="院长", values={"beds": "abc", "income": 1.5, "kind_of": "x", "note": "长" * 21})  # fmt: skip
    errors = exc.value.message_dict
    assert errors["beds"] == ["床位数应为整数"] and "不用浮点数" in errors["income"][0]
    assert "不在可选范围内" in errors["kind_of"][0] and errors["note"] == ["说明不能超过20个字"]
    with pytest.raises(PermissionDenied):  # staff may not file as the institution
        r.report_save(user=organiser, template=template, supervised=site, year=year, channel="institution",
                      filed_by_name="x", values={})  # fmt: skip
    report = r.report_save(user=None, template=template, supervised=site, year=year, channel="institution",
                           filed_by_name="院长", values={"beds": "120", "fire_ok": "是"})  # fmt: skip
    assert report.values == {"beds": 120, "fire_ok": True} and report.state == ReportState.DRAFT
    assert report.due_on == dt.date(year + 1, 5, 31)
    with pytest.raises(ValidationError, match="请填写年度收入"):
        r.report_submit(user=None, report=report, channel="institution", filed_by_name="院长")
    report = r.report_save(user=None, template=template, supervised=site, year=year, channel="institution",
                           filed_by_name="院长", values={"income": "352000.50", "audited_on": "2026-03-01"})  # fmt: skip
    assert report.values == {"beds": 120, "fire_ok": True, "income": "352000.50", "audited_on": "2026-03-01"}
    report = r.report_submit(user=None, report=report, channel="institution", filed_by_name="院长")
    assert report.state == ReportState.SUBMITTED
    assert report.late == (timezone.localdate() > report.due_on)
    with pytest.raises(ValidationError, match="不能修改"):
        r.report_save(user=organiser, template=template, supervised=site, year=year, values={"beds": 1})
    with pytest.raises(ValidationError, match="退回须说明原因"):
        r.report_review(user=organiser, report=report, accept=False)
    report = r.report_review(user=organiser, report=report, accept=False, reason="收入与审计报告不符")
    assert report.state == ReportState.RETURNED
    report = r.report_save(user=organiser, template=template, supervised=site, year=year, values={"income": "352100"})
    report = r.report_submit(user=organiser, report=report)
    report = r.report_review(user=organiser, report=report, accept=True)
    assert report.state == ReportState.ACCEPTED and report.return_reason == ""
    with pytest.raises(ValidationError, match="不能审核"):
        r.report_review(user=organiser, report=report, accept=True)
    assert AuditEvent.objects.filter(action="supervision.report_review", object_id=str(report.pk)).count() == 2


def test_late_flag_and_missing_reports(template, sites, organiser, make_user):
    year = today().year - 2  # due on 31 May of last year: past, whatever today is
    report = r.report_save(user=organiser, template=template, supervised=sites[0], year=year,
                           values={"beds": 10, "income": "1"})  # fmt: skip
    report = r.report_submit(user=organiser, report=report)
    assert report.late  # first submitted after the due day
    missing = r.reports_missing(organiser, template=template, year=year, region=RUIAN)
    assert sites[0] not in missing and set(missing) == set(sites[1:])
    # before the due day nothing is missing yet
    assert not r.reports_missing(None, template=template, year=year, on=dt.date(year + 1, 5, 31)).exists()
    assert list(r.reports_for(organiser, late=True)) == [report]
    tangxia = make_user("s2_rep_tx", ("approver", "330381101000"))
    assert set(r.reports_missing(tangxia, template=template, year=year)) == set(sites[10:])
    assert list(r.reports_for(tangxia)) == []
    with pytest.raises(PermissionDenied):
        r.report_review(user=tangxia, report=report, accept=True)
    with pytest.raises(ValidationError, match="报告年度应在"):
        r.report_save(user=organiser, template=template, supervised=sites[1], year=today().year + 1, values={})
    assert AnnualReport.objects.count() == 1

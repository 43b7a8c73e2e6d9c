"""Lists (名录): entries added and removed by decision, the daily job's escalations and due
removals, audited, scoped; the job kind and the command line."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command

from minzheng.engines.supervision import listings
from minzheng.engines.supervision.listings import ListDef, listing_add, listing_remove, listings_daily
from minzheng.engines.supervision.models import Listing
from minzheng.foundation.audit.models import AuditEvent

from .world import *  # noqa: F403  (the fixtures)
from .world import KIND, today

pytestmark = pytest.mark.django_db

ABNORMAL = ListDef("t_abnormal", "测试活动异常名录", (("no_report", "未按时报送年度报告"), ("lost", "通过登记的住所无法联系")),
                   kinds=(KIND,), escalate_to="t_dishonest", escalate_after_years=2)  # fmt: skip
DISHONEST = ListDef("t_dishonest", "测试严重违法失信名单", (("lost", "被列入活动异常名录满2年"),), removal_years=5)


@pytest.fixture(autouse=True)
def declared():
    with listings.LISTS.temporarily(ABNORMAL.code, ABNORMAL), listings.LISTS.temporarily(DISHONEST.code, DISHONEST):
        yield


def _years_ago(years: int, days: int = 0) -> dt.date:
    return listings.add_years(today(), -years) - dt.timedelta(days=days)


def test_add_and_remove_with_reasons_and_refusals(sites, organiser, make_user):
    entry = listing_add(user=organiser, supervised=sites[0], list_code=ABNORMAL.code, reason_code="no_report",
                        decision_number="瑞民异〔2026〕1号", decision_text="未按时报送2025年度工作报告")  # fmt: skip
    assert entry.clock_start == entry.listed_at == today() and entry.removal_due is None
    with pytest.raises(ValidationError, match="已在「测试活动异常名录」中"):
        listing_add(user=organiser, supervised=sites[0], list_code=ABNORMAL.code, reason_code="lost")
    with pytest.raises(ValidationError, match="没有列入事由"):
        listing_add(user=organiser, supervised=sites[1], list_code=ABNORMAL.code, reason_code="nope")
    with pytest.raises(ValidationError, match="未声明"):
        listing_add(user=organiser, supervised=sites[1], list_code="nope", reason_code="x")
    with pytest.raises(ValidationError, match="不能晚于今天"):
        listing_add(user=organiser, supervised=sites[1], list_code=ABNORMAL.code, reason_code="lost",
                    listed_at=today() + dt.timedelta(days=1))  # fmt: skip
    tangxia = make_user("s2_list_tx", ("approver", "330381101000"))
    with pytest.raises(PermissionDenied):  # 安阳's site
        listing_add(user=tangxia, supervised=sites[1], list_code=ABNORMAL.code, reason_code="lost")
    with pytest.raises(ValidationError, match="请填写移出原因"):
        listing_remove(user=organiser, listing=entry, reason=" ")
    entry = listing_remove(user=organiser, listing=entry, reason="已补报年度报告，申请移出")
    assert entry.removed_at == today()
    with pytest.raises(ValidationError, match="不能再次移出"):
        listing_remove(user=organiser, listing=entry, reason="再次")
    # off the list, the entity may be listed again
    listing_add(user=organiser, supervised=sites[0], list_code=ABNORMAL.code, reason_code="lost")
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"supervision.listing_add", "supervision.listing_remove"} <= actions
    assert [e.pk for e in listings.listings_for(organiser, list_code=ABNORMAL.code)] == [
        Listing.objects.get(removed_at__isnull=True).pk
    ]
    assert list(listings.listings_for(tangxia)) == []


def test_daily_job_moves_escalated_entries_and_removes_due_ones_once(sites, organiser):
    old = listing_add(user=organiser, supervised=sites[0], list_code=ABNORMAL.code, reason_code="lost",
                      listed_at=_years_ago(2, 1))  # fmt: skip
    young = listing_add(user=organiser, supervised=sites[1], list_code=ABNORMAL.code, reason_code="lost",
                        listed_at=_years_ago(1))  # fmt: skip
    expiring = listing_add(user=organiser, supervised=sites[2], list_code=DISHONEST.code, reason_code="lost",
                           listed_at=_years_ago(5, 3))  # fmt: skip
    assert expiring.removal_due == listings.add_years(expiring.clock_start, 5)
    result = listings_daily()
    assert result == {"moved": 1, "removed": 1}
    old.refresh_from_db()
    assert (
        old.removed_at == today() and old.moved_to is not None and "转入「测试严重违法失信名单」" in old.removal_reason
    )
    moved = old.moved_to
    assert (moved.list_code, moved.listed_at, moved.clock_start, moved.reason_code) == (
        DISHONEST.code,
        today(),
        today(),
        "lost",
    )
    assert moved.removal_due == listings.add_years(today(), 5)
    young.refresh_from_db()
    expiring.refresh_from_db()
    assert young.removed_at is None
    assert expiring.removed_at == expiring.removal_due and expiring.removal_reason == "期满移出"
    # idempotent: nothing more the same day
    assert listings_daily() == {"moved": 0, "removed": 0}
    assert AuditEvent.objects.filter(action="supervision.listing_escalate", actor_id=None).count() == 1
    assert AuditEvent.objects.filter(action="supervision.listing_expire").count() == 1
    # a later day: the young one escalates a year on
    assert listings_daily(on=listings.add_years(young.clock_start, 2)) == {"moved": 1, "removed": 0}


def test_the_job_kind_and_the_command_line(sites, organiser, capsys):
    from minzheng.foundation.jobs.services import job_run

    listing_add(user=organiser, supervised=sites[0], list_code=DISHONEST.code, reason_code="lost",
                listed_at=_years_ago(6))  # fmt: skip
    job = listings.listings_daily_enqueue(run=False)
    job_run(job.pk)
    job.refresh_from_db()
    assert job.state == "succeeded", job.error
    assert job.result == {"moved": 0, "removed": 1}
    call_command("supervision", "lists-daily", "--date", today().isoformat())
    assert json.loads(capsys.readouterr().out) == {"moved": 0, "removed": 0}


def test_a_listing_raises_the_draw_risk_only_when_its_list_says_so(sites, organiser):
    listing_add(user=organiser, supervised=sites[0], list_code=ABNORMAL.code, reason_code="lost")
    assert listings.listed_supervised_ids(kind=KIND, prefix="330381", on=today()) == {sites[0].pk}
    quiet = ListDef("t_quiet", "测试名录", (("x", "x"),), raises_risk=False)
    with listings.LISTS.temporarily("t_quiet", quiet):
        listing_add(user=organiser, supervised=sites[1], list_code="t_quiet", reason_code="x")
        assert listings.listed_supervised_ids(kind=KIND, prefix="330381", on=today()) == {sites[0].pk}
    # not yet listed on an earlier day
    assert listings.listed_supervised_ids(kind=KIND, prefix="330381", on=today() - dt.timedelta(days=1)) == set()


def test_a_list_declaration_is_checked():
    with pytest.raises(ValueError, match="须同时声明"):
        ListDef("t_x", "x", (("a", "a"),), escalate_to="t_y")
    with pytest.raises(ValueError, match="列入事由"):
        ListDef("t_x", "x", ())


def test_celery_beat_queues_the_daily_job(settings):
    from minzheng.foundation.jobs.models import JobRun

    assert settings.CELERY_BEAT_SCHEDULE["supervision-listings-daily"]["task"] == listings.listings_daily_task.name
    job = JobRun.objects.get(pk=listings.listings_daily_task())
    assert job.kind == listings.LISTINGS_DAILY and job.title == "名录到期移出与转入"

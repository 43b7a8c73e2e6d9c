"""Lists (名录): a generic listing mechanism the lines declare their lists into.

A business line declares each list it keeps with :func:`list_declare` (活动异常名录, 严重违法失信名单
…): its reason codes, how long an entry stays before it comes off by itself (``removal_years``), and
whether an entry still on it after ``escalate_after_years`` moves to another list
(``escalate_to``). Whether being on the list makes an entity drawn more often (信用风险分类) is
``raises_risk``. The engine knows no list by name.

An entry (:class:`~.models.Listing`) records the reason, the decision (text and 文号), the day it was
listed, the day its clock started (the day the clock of the list's periods counts from: usually the
listing day; for an entry moved from another list, the day it moved), the day it is due to come
off, and when and why it came off. :func:`listings_daily` — the daily job ``supervision.listings``
and ``minzheng supervision lists-daily`` — first moves the entries whose escalation is due, then
takes off those whose removal is due. Every write is audited.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from celery import shared_task
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet

from minzheng.foundation.accounts.scoping import permission_require
from minzheng.foundation.audit.services import Entry, audit_record, audit_record_many
from minzheng.foundation.jobs.services import job_enqueue, job_kind
from minzheng.foundation.plugins import Registry
from minzheng.foundation.regions.selectors import region_prefix

from ._shared import actor, add_years, day, label, locked, text, today
from .kinds import CODE_RE
from .models import Listing, Supervised


@dataclass(frozen=True)
class ListDef:
    """A declared list: ``code``, Chinese ``label``, the kinds whose entities it may hold (empty:
    any), ``reasons`` (``(code, label)`` pairs), ``removal_years`` (an entry comes off by itself
    that many years after its clock start; None: only by decision), ``escalate_to`` and
    ``escalate_after_years`` (an entry still on the list that many years after its clock start
    moves to that list), ``raises_risk`` (an entry makes the draw's risk class 较高)."""

    code: str
    label: str
    reasons: tuple[tuple[str, str], ...]
    kinds: tuple[str, ...] = ()
    removal_years: int | None = None
    escalate_to: str = ""
    escalate_after_years: int | None = None
    raises_risk: bool = True

    def __post_init__(self):
        if not CODE_RE.match(self.code):
            raise ValueError(f"名录代码「{self.code}」应为小写字母开头的字母、数字和下划线")
        if not self.reasons:
            raise ValueError(f"名录「{self.code}」须声明列入事由")
        if bool(self.escalate_to) != (self.escalate_after_years is not None):
            raise ValueError(f"名录「{self.code}」的转入名录和转入年限须同时声明")
        for years in (self.removal_years, self.escalate_after_years):
            if years is not None and years < 1:
                raise ValueError(f"名录「{self.code}」的年限须为正整数")

    def reason_label(self, code: str) -> str:
        return dict(self.reasons).get(code, code)


LISTS: Registry = Registry("名录")


def list_declare(code: str, label: str, *, reasons, kinds=(), removal_years=None, escalate_to: str = "",
                 escalate_after_years=None, raises_risk: bool = True) -> ListDef:  # fmt: skip
    """Declare a list (a business line, at import time)."""
    LISTS[code] = ListDef(code, label, tuple(reasons), tuple(kinds), removal_years, escalate_to,
                          escalate_after_years, raises_risk)  # fmt: skip
    return LISTS[code]


def list_get(code: str) -> ListDef:
    found = LISTS.get(code)
    if found is None:
        raise ValidationError({"list_code": f"名录「{code}」未声明"})
    return found


def _removal_due(list_def: ListDef, clock_start: dt.date) -> dt.date | None:
    return add_years(clock_start, list_def.removal_years) if list_def.removal_years else None


def _snapshot(listing: Listing) -> dict:
    return {
        "list": listing.list_code, "reason": listing.reason_code, "decision_number": listing.decision_number,
        "listed_at": listing.listed_at.isoformat(), "clock_start": listing.clock_start.isoformat(),
        "removal_due": listing.removal_due.isoformat() if listing.removal_due else None,
    }  # fmt: skip


@transaction.atomic
def listing_add(*, user, supervised: Supervised, list_code: str, reason_code: str, decision_text: str = "",
                decision_number: str = "", listed_at=None, clock_start=None) -> Listing:  # fmt: skip
    """Put an entity on a list (``supervision.list`` over its region). Refused: an undeclared list
    or reason, a kind the list does not hold, an entity already on the list, a day after today."""
    list_def = list_get(list_code)
    region = supervised.entity.region_code
    permission_require(user, "supervision.list", region, message="无权在该区划列入名录")
    if reason_code not in dict(list_def.reasons):
        raise ValidationError({"reason_code": f"「{list_def.label}」没有列入事由「{reason_code}」"})
    if list_def.kinds and supervised.kind not in list_def.kinds:
        raise ValidationError({"list_code": f"「{list_def.label}」不收录该类监管对象"})
    supervised = locked(Supervised, supervised)
    if Listing.objects.filter(supervised=supervised, list_code=list_code, removed_at__isnull=True).exists():
        raise ValidationError({"list_code": f"{label(supervised)}已在「{list_def.label}」中"})
    listed = day(listed_at, "listed_at", "列入日期", future=False)
    start = day(clock_start, "clock_start", "计算起始日期", default=listed)
    if start > listed:
        raise ValidationError({"clock_start": "计算起始日期不能晚于列入日期"})
    listing = Listing.objects.create(
        list_code=list_code, supervised=supervised, region_code=region, reason_code=reason_code,
        decision_text=text(decision_text, 4000, multiline=True), decision_number=text(decision_number, 100),
        listed_at=listed, clock_start=start, removal_due=_removal_due(list_def, start), listed_by=actor(user),
    )  # fmt: skip
    audit_record(
        action="supervision.listing_add", object_type="supervision.listing", object_id=listing.pk,
        region_code=region, summary=f"列入{list_def.label}：{label(supervised)}（{list_def.reason_label(reason_code)}）",
        changes=_snapshot(listing),
    )  # fmt: skip
    return listing


@transaction.atomic
def listing_remove(*, user, listing: Listing, reason: str, removed_at=None) -> Listing:
    """Take an entry off its list by decision (信用修复, 撤销列入决定 …), with the reason."""
    listing = locked(Listing, listing)
    permission_require(user, "supervision.list", listing.region_code, message="无权在该区划移出名录")
    if listing.removed_at is not None:
        raise ValidationError({"listing": f"该记录已于 {listing.removed_at} 移出名录，不能再次移出"})
    reason = text(reason, 500)
    if not reason:
        raise ValidationError({"reason": "请填写移出原因"})
    on = day(removed_at, "removed_at", "移出日期", future=False)
    if on < listing.listed_at:
        raise ValidationError({"removed_at": "移出日期不能早于列入日期"})
    listing.removed_at, listing.removal_reason, listing.removed_by = on, reason, actor(user)
    listing.save(update_fields=["removed_at", "removal_reason", "removed_by"])
    list_def = LISTS.get(listing.list_code)
    audit_record(
        action="supervision.listing_remove", object_type="supervision.listing", object_id=listing.pk,
        region_code=listing.region_code,
        summary=f"移出{list_def.label if list_def else listing.list_code}：{label(listing.supervised)}（{reason[:60]}）",
        changes={"removed_at": on.isoformat(), "reason": reason},
    )  # fmt: skip
    return listing


def listings_daily(*, on: dt.date | None = None) -> dict:
    """The daily work (system): entries whose list escalates and whose clock start is at least
    ``escalate_after_years`` before ``on`` move to the target list (the old entry comes off with
    the reason 「转入…」 and ``moved_to``; the new one is listed on ``on`` with its own clock);
    then entries whose removal is due on or before ``on`` come off (「届满移出」). Idempotent: an
    entry off its list is never touched again. Returns the counts."""
    on = on or today()
    moved = removed = 0
    audit: list[Entry] = []
    with transaction.atomic():
        for list_def in LISTS.values():
            if not list_def.escalate_to or list_def.escalate_after_years is None:
                continue
            target = list_get(list_def.escalate_to)
            latest_start = add_years(on, -list_def.escalate_after_years)
            due = Listing.objects.select_for_update().filter(
                list_code=list_def.code, removed_at__isnull=True, clock_start__lte=latest_start
            )
            for old in due.select_related("supervised__entity").order_by("pk"):
                if Listing.objects.filter(supervised_id=old.supervised_id, list_code=target.code,
                                          removed_at__isnull=True).exists():  # fmt: skip
                    new = None  # already on the target list: the old entry only comes off
                else:
                    new = Listing.objects.create(
                        list_code=target.code, supervised_id=old.supervised_id, region_code=old.region_code,
                        reason_code=old.reason_code if old.reason_code in dict(target.reasons) else target.reasons[0][0],
                        decision_text=f"在「{list_def.label}」满{list_def.escalate_after_years}年仍未移出，转入「{target.label}」",
                        listed_at=on, clock_start=on, removal_due=_removal_due(target, on),
                    )  # fmt: skip
                old.removed_at, old.moved_to = on, new
                old.removal_reason = f"满{list_def.escalate_after_years}年转入「{target.label}」"
                old.save(update_fields=["removed_at", "removal_reason", "moved_to"])
                moved += 1
                audit.append(Entry("supervision.listing_escalate", "supervision.listing", str(old.pk),
                                   old.region_code, f"{label(old.supervised)} 由{list_def.label}转入{target.label}",
                                   {"to": new.pk if new else None, "on": on.isoformat()}))  # fmt: skip
        due = Listing.objects.select_for_update().filter(removed_at__isnull=True, removal_due__lte=on)
        for listing in due.select_related("supervised__entity").order_by("pk"):
            listing.removed_at = max(listing.removal_due, listing.listed_at)
            listing.removal_reason = "期满移出"
            listing.save(update_fields=["removed_at", "removal_reason"])
            removed += 1
            list_def = LISTS.get(listing.list_code)
            audit.append(Entry("supervision.listing_expire", "supervision.listing", str(listing.pk),
                               listing.region_code,
                               f"{label(listing.supervised)} 期满移出{list_def.label if list_def else listing.list_code}",
                               {"removed_at": listing.removed_at.isoformat()}))  # fmt: skip
        audit_record_many(entries=audit)
    return {"moved": moved, "removed": removed}


# ---------------------------------------------------------------------------------------------------
# Reads


def listings_for(user, *, list_code: str = "", region: str = "", current: bool = True) -> QuerySet:
    """The entries under the user's ``supervision.view`` grants (optionally one list, a region,
    only those still on their list)."""
    qs = Listing.objects.for_user(user, "supervision.view").select_related("supervised__entity")
    if list_code:
        qs = qs.filter(list_code=list_code)
    if region:
        qs = qs.under(region_prefix(region))
    if current:
        qs = qs.filter(removed_at__isnull=True)
    return qs


def listed_supervised_ids(*, kind: str, prefix: str, on: dt.date, risky_only: bool = True) -> set[int]:
    """Ids of the supervised entities of ``kind`` under ``prefix`` on a list on ``on`` (of a list
    that raises risk, by default): one query, for the draw's risk classes."""
    codes = [c for c, d in LISTS.items() if d.raises_risk or not risky_only]
    if not codes:
        return set()
    qs = Listing.objects.under(prefix).filter(list_code__in=codes, supervised__kind=kind, listed_at__lte=on)
    qs = qs.exclude(removed_at__lte=on)
    return set(qs.values_list("supervised_id", flat=True))


# ---------------------------------------------------------------------------------------------------
# The daily job


LISTINGS_DAILY = "supervision.listings"


@job_kind(LISTINGS_DAILY)
def listings_daily_job(job, progress):
    """:func:`listings_daily` as a job; param ``on`` (ISO day), default today."""
    on = dt.date.fromisoformat(job.params["on"]) if (job.params or {}).get("on") else None
    result = listings_daily(on=on)
    progress.log(f"转入其他名录 {result['moved']} 条，期满移出 {result['removed']} 条")
    return result


def listings_daily_enqueue(*, on: dt.date | None = None, run: bool = True):
    return job_enqueue(kind=LISTINGS_DAILY, title="名录到期移出与转入",
                       params={"on": on.isoformat() if on else ""}, run=run)  # fmt: skip


@shared_task(name="minzheng.supervision.listings_daily")
def listings_daily_task() -> int:
    """Celery beat (``CELERY_BEAT_SCHEDULE``, daily): queue the listings' daily work as a job."""
    return listings_daily_enqueue().pk

"""Reads of the case engine, scoped to the user's grants: the inbox (待办) by role and office, case
lookup, the supervision list of deadlines per township (超期预警), and the notice board."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, F, Q
from django.http import Http404
from django.utils import timezone

from minzheng.foundation.accounts.models import Grant
from minzheng.foundation.accounts.scoping import ALL, user_prefixes
from minzheng.foundation.calendar.services import add_working_days, notice_warning, years_missing
from minzheng.foundation.regions.prefixes import prefix_q

from .models import Case, NoticeState, PublicNotice, Task, TaskState

WARN_WORKING_DAYS = 2  # a task due within this many working days is flagged 临期


def inbox_q(user) -> Q | None:
    """Open tasks whose role the user holds with a grant covering the task's office; None = all
    (superuser), an empty Q that matches nothing when the user has no grant."""
    if user.is_superuser:
        return None
    cache = user.__dict__.get("_inbox_grants")
    if cache is None:
        cache = user.__dict__["_inbox_grants"] = list(Grant.objects.filter(user=user).values_list("role_id", "prefix"))
    q = Q(pk__in=[])
    by_role: dict[str, list[str]] = {}
    for role, prefix in cache:
        by_role.setdefault(role, []).append(prefix)
    for role, prefixes in by_role.items():
        q |= Q(role=role) & prefix_q("region_code", prefixes)
    return q


def inbox(user, *, mine: bool = False, flag: str = "", case_type: str = ""):
    """The user's open tasks, soonest deadline first (tasks without a deadline last)."""
    qs = Task.objects.filter(state=TaskState.OPEN)
    q = inbox_q(user)
    if q is not None:
        qs = qs.filter(q)
    if mine:
        qs = qs.filter(claimed_by=user)
    flags = Flags.today()
    if flag == "overdue":
        qs = qs.filter(due_date__lt=flags.today_)
    elif flag == "near":
        qs = qs.filter(due_date__gte=flags.today_, due_date__lte=flags.warn_until)
    if case_type:
        qs = qs.filter(case__case_type_id=case_type)
    return qs.select_related("case", "case__case_type", "case__applicant", "claimed_by").order_by(
        F("due_date").asc(nulls_last=True), "pk"
    )


@dataclass
class Flags:
    """Deadline flags for one request: overdue before ``today_``, near up to ``warn_until``."""

    today_: dt.date
    warn_until: dt.date

    @classmethod
    def today(cls) -> Flags:
        day = timezone.localdate()
        return cls(day, add_working_days(day, WARN_WORKING_DAYS))

    def of(self, due: dt.date | None) -> str:
        if due is None:
            return ""
        if due < self.today_:
            return "overdue"
        if due <= self.warn_until:
            return "near"
        return ""


def calendar_warning(day: dt.date | None = None) -> str:
    """A warning when deadlines run into a year whose holiday notice is not entered: its days are
    the statutory holidays of the 办法, provisionally, or weekends only."""
    day = day or timezone.localdate()
    return notice_warning(years_missing(day.year, day.year + 1))


def case_search(user, *, q: str = "", case_type: str = "", state: str = "", region: str = ""):
    qs = Case.objects.for_user(user, "cases.view").select_related("case_type", "applicant")
    if region:
        qs = qs.under(region)
    if case_type:
        qs = qs.filter(case_type_id=case_type)
    if state == "open":
        qs = qs.filter(closed_at__isnull=True)
    elif state == "closed":
        qs = qs.filter(closed_at__isnull=False)
    if q:
        qs = qs.filter(Q(number__icontains=q.strip()) | Q(applicant__name=q.strip()))
    return qs.order_by("-opened_at")


def case_get(*, user, number: str) -> Case:
    """A case in the user's regions, or 404 — never a hint that it exists elsewhere."""
    case = (
        Case.objects.for_user(user, "cases.view")
        .select_related("case_type", "version", "applicant", "household", "status")
        .filter(number=number)
        .first()
    )
    if case is None:
        raise Http404("办件不存在")
    return case


def case_timeline(case: Case):
    return case.history.select_related("actor").prefetch_related("attachments").order_by("seq")


def supervision(user, *, level_digits: int = 9):
    """Open tasks per office (乡镇 by default): how many, how many near their deadline, how many
    overdue — the township supervision list (超期预警)."""
    flags = Flags.today()
    prefixes = user_prefixes(user, "cases.supervise")
    qs = Task.objects.filter(state=TaskState.OPEN)
    if prefixes is not ALL:
        if not prefixes:
            return [], flags
        qs = qs.filter(prefix_q("region_code", prefixes))
    from django.db.models.functions import Substr

    rows = (
        qs.annotate(office=Substr("region_code", 1, level_digits))
        .values("office")
        .annotate(
            open=Count("pk"),
            overdue=Count("pk", filter=Q(due_date__lt=flags.today_)),
            near=Count("pk", filter=Q(due_date__gte=flags.today_, due_date__lte=flags.warn_until)),
        )
        .order_by("-overdue", "-near", "office")
    )
    return list(rows), flags


def notices_showing(*, region_prefix: str, on: dt.date | None = None):
    """The notice board of a village/community (or any region prefix): notices in their period."""
    day = on or timezone.localdate()
    return (
        PublicNotice.objects.filter(state=NoticeState.OPEN, posted_on__lte=day, end_date__gte=day)
        .filter(prefix_q("region_code", [region_prefix]))
        .order_by("-posted_on", "pk")
    )


def tasks_with_notices(tasks) -> list:
    """Set ``task.notice`` on each task of a public-notice step (its case's current notice, one
    query for the lot; None elsewhere), so pages show the 公示期 itself and, apart from it, the
    step's deadline — which runs on past the notice's end."""
    tasks = list(tasks)
    ids = [t.case_id for t in tasks if t.not_before]
    notices: dict[int, PublicNotice] = {}
    if ids:
        for n in PublicNotice.objects.filter(case_id__in=ids).exclude(state=NoticeState.WITHDRAWN).order_by("pk"):
            notices[n.case_id] = n  # the latest notice of each case
    for t in tasks:
        t.notice = notices.get(t.case_id) if t.not_before else None
    return tasks


@dataclass
class CasePage:
    """What ``user`` may do on ``case`` and what its business line shows on it: one answer for the
    workbench's case page and the API's case endpoint (:func:`case_page`)."""

    task: Task | None  # the open task, if any
    act: bool  # the user holds the open task's role in its office: may take its actions
    actions: list  # the transitions (``TransitionDef``) the user may take now
    claim: bool  # 认领 the open task
    release: bool  # 退回待办池: one's own claim, or a supervisor's over someone else's
    suspend: bool
    resume: bool
    extend: bool  # 延期, once, where the case type allows it and the clock runs
    supervise: bool  # cases.supervise over the case's region
    window: bool  # cases.act over the case's region: materials and objections received at the window
    materials: bool  # may upload a material (window, and the case type names materials)
    documents: list[tuple[str, str]]  # (kind, title) the user may print at this step
    panels: list  # ``panels.Panel`` the business line shows on this case


def case_page(user, case: Case, *, today: dt.date | None = None) -> CasePage:
    """What ``user`` may do on ``case`` (act, claim, release, suspend, resume, extend, supervise,
    upload, print) and the panels registered for its case type (:mod:`.panels`). The services
    check every one again when it is done; this is what pages and clients offer."""
    from minzheng.foundation.accounts.scoping import has_permission

    from . import hooks
    from .panels import panels_for
    from .services import acting_roles

    spec = case.spec
    task = (
        None
        if case.closed
        else case.tasks.filter(state=TaskState.OPEN).select_related("claimed_by").order_by("-pk").first()
    )
    act = bool(task and acting_roles(user, task))
    supervise = has_permission(user, "cases.supervise", case.region_code)
    window = not case.closed and has_permission(user, "cases.act", case.region_code)
    claimed = task is not None and task.claimed_by_id is not None
    step = spec.step(case.step)
    return CasePage(
        task=task,
        act=act,
        actions=list(spec.actions_from(case.step)) if act else [],
        claim=act and not claimed,
        release=claimed and (task.claimed_by_id == user.pk or supervise),
        suspend=act and case.suspended_since is None,
        resume=act and case.suspended_since is not None,
        extend=act and bool(spec.extended_days and case.accepted_on and not case.extended),
        supervise=supervise,
        window=window,
        materials=window and bool(spec.materials),
        documents=[(k, hooks.DOCUMENTS[k][0]) for k in step.documents if k in hooks.DOCUMENTS] if act else [],
        panels=panels_for(case, user, today or timezone.localdate()),
    )

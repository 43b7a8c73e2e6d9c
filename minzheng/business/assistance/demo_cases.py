"""Demo casework: 低保 applications of the demo townships at every step, walked through the case
engine's services by the demo staff, so each caseworker's inbox, the supervision list and the
notice board show real work out of the box. Idempotent: a township that has cases is left alone."""

from __future__ import annotations

import datetime as dt
import random

from django.utils import timezone

from minzheng.engines.benefits.models import Enrollment
from minzheng.engines.cases.models import Case, CaseStatus
from minzheng.engines.cases.services import case_act, case_open, material_add
from minzheng.foundation.accounts.models import User
from minzheng.foundation.calendar.services import add_working_days
from minzheng.foundation.documents.render import render_pdf
from minzheng.foundation.documents.spec import Document, Paragraph
from minzheng.foundation.registry.models import Household

# how far each demo case goes: (last action, how many per township)
PLAN = [("", 3), ("accept", 3), ("investigate_done", 2), ("first_review_pass", 2), ("notice_done", 2), ("approve", 2),
        ("refuse", 1)]  # fmt: skip
ORDER = ["accept", "investigate_done", "first_review_pass", "notice_done"]
REQUIRED = ("application", "authorisation", "means_declaration")


def _pdf(title: str) -> bytes:
    return render_pdf(Document(title=title, blocks=[Paragraph("示范材料：扫描件。")]))


def demo_cases(*, townships: dict[str, str], county_user: str, seed: int = 2026, log=print) -> int:
    """``townships``: {township code: username prefix}, e.g. {"330381001000": "anyang"}."""
    r = random.Random(seed)
    today = timezone.localdate()
    approver = User.objects.get(username=f"{county_user}_approver")
    enrolled = Enrollment.objects.values_list("household_id", flat=True)
    made = 0
    for code, short in townships.items():
        prefix = code[:9]
        if Case.objects.filter(region_code__startswith=prefix).exists():
            continue
        staff = {
            role: User.objects.get(username=f"{short}_{role}") for role in ("acceptor", "investigator", "reviewer")
        }
        households = list(
            Household.objects.filter(region_code__startswith=prefix, head__isnull=False)
            .exclude(pk__in=enrolled)
            .select_related("head")
            .order_by("pk")[: sum(n for _, n in PLAN)]
        )
        pdfs = {c: _pdf(c) for c in REQUIRED}
        for last, n in PLAN:
            for _ in range(n):
                if not households:
                    break
                h = households.pop(0)
                _walk(h, last, staff, approver, pdfs, today, r)
                made += 1
    if made:
        log(f"已生成示范办件 {made} 件（各环节均有待办）")
    return made


def _backdate(case, day: dt.date, r, *, opened: bool = False) -> None:
    """The demo acts on past dates: the history shows them at an office hour of that day (the
    application itself on the day it was accepted), as a real case's history would."""
    at = timezone.make_aware(dt.datetime.combine(day, dt.time(8 + r.randint(0, 8), r.randint(0, 59))))
    CaseStatus.objects.filter(pk=case.status_id).update(at=at)
    if opened:
        CaseStatus.objects.filter(case=case, action="open").update(at=at - dt.timedelta(minutes=20))
        Case.objects.filter(pk=case.pk).update(opened_at=at - dt.timedelta(minutes=20))


def _walk(h, last, staff, approver, pdfs, today, r) -> None:
    case = case_open(user=staff["acceptor"], case_type="dibao_application", region_code="", household=h,
                     applicant=h.head, channel=r.choice(["window", "window", "assisted"]))  # fmt: skip
    if not last:
        if r.random() < 0.5:
            material_add(user=staff["acceptor"], case=case, code="application", data=pdfs["application"],
                         name="申请书.pdf")  # fmt: skip
        return
    for code in REQUIRED:
        material_add(user=staff["acceptor"], case=case, code=code, data=pdfs[code], name=f"{code}.pdf")
    # accepted some working days ago, so some deadlines are near or past
    accepted = add_working_days(today - dt.timedelta(days=r.randint(20, 40)), 0)
    forms = {
        "accept": {},
        "investigate_done": {"investigators": ["周明", "吴芳"], "visit_date": accepted.isoformat(),
                             "findings": "入户查看居住和家庭成员情况，核实收入来源。",
                             "household_facts": _facts(h, accepted, r)},
        "first_review_pass": {},
        "notice_done": {},
    }  # fmt: skip
    actors = {"accept": staff["acceptor"], "investigate_done": staff["investigator"],
              "first_review_pass": staff["reviewer"], "notice_done": staff["reviewer"]}  # fmt: skip
    steps = ORDER if last in ("approve", "refuse") else ORDER[: ORDER.index(last) + 1]
    on = accepted
    for action in steps:
        if action == "notice_done":
            on = case.notices.get().end_date + dt.timedelta(days=1)
            if on > today:
                return  # the notice is still showing
        opinion = {"investigate_done": "已入户调查，情况属实", "first_review_pass": "初审符合条件"}.get(action, "")
        case = case_act(user=actors[action], case=case, action=action, opinion=opinion, data=forms[action], on=on)
        _backdate(case, on, r, opened=action == "accept")
        if action == "accept":
            on = add_working_days(on, r.randint(1, 3))
        elif action == "investigate_done":
            on = min(add_working_days(on, r.randint(1, 4)), today - dt.timedelta(days=8))
            if last == "first_review_pass":  # these notices are showing on the board now
                on = today - dt.timedelta(days=r.randint(0, 5))
    if last == "approve" and case.data.get("assessment", {}).get("classification") in ("dibao", "dibao_single_person"):
        case_act(user=approver, case=case, action="approve", opinion="经审核确认，同意纳入", on=today)
    elif last in ("approve", "refuse"):
        case_act(user=approver, case=case, action="refuse", opinion="家庭人均收入高于当地低保标准", on=today)


def _facts(h, on: dt.date, r) -> dict:
    """What the demo investigators found, per member as the case records it (the request of
    ``minzheng assess`` without region, day and standards): the head's own wages or farm income, a
    basic pension for members of 60 and over, now and then an adult child registered here who
    lives elsewhere (not counted, with the reason)."""
    from .assessment import age_on

    rows = sorted(h.memberships.filter(valid_to__isnull=True).select_related("person"),
                  key=lambda m: (m.relation != "head", m.person_id))  # fmt: skip
    members, incomes = [], []
    away = next((i for i, m in enumerate(rows) if i and 25 <= age_on(m.person.birth_date, on) < 60), None)
    away = away if r.random() < 0.3 else None
    for i, m in enumerate(rows):
        p = m.person
        disabled = bool(p.disability_kind) and p.disability_grade is not None
        members.append({
            "person_id": p.pk, "name": p.name, "birth_date": p.birth_date.isoformat(), "relation": m.relation,
            "counted": i != away, "not_counted_reason": "not_living_together" if i == away else None,
            "disability_kind": p.disability_kind if disabled else None,
            "disability_grade": p.disability_grade if disabled else None,
            "serious_illness": bool(p.serious_illness), "self_care": p.self_care or "full",
        })  # fmt: skip
        if age_on(p.birth_date, on) >= 60:
            incomes.append({"member": i, "kind": "basic_pension", "annual_amount": str(r.choice([1800, 2160, 2400]))})
        if i == away:
            incomes.append({"member": i, "kind": "wages", "annual_amount": str(r.choice([36000, 48000]))})
    kind = "business" if h.hukou_type == "rural" else "wages"
    amount = r.choice([0, 3600, 7200, 9600, 14400])
    if amount:
        incomes.append({"member": 0, "kind": kind, "annual_amount": str(amount)})
    return {"members": members, "incomes": incomes,
            "property": {"financial_assets": str(r.choice([0, 2000, 8000])), "houses": 1}}  # fmt: skip

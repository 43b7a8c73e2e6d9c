"""minzheng demo gives the demo city a realistic social-assistance roll."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from minzheng.business.assistance import simulation as sim
from minzheng.business.assistance.assessment import assess
from minzheng.business.assistance.models import HouseholdMeans
from minzheng.engines.benefits.models import Enrollment, EnrollmentEvent, EnrollmentState
from minzheng.foundation.parameters.standards import standards_for
from minzheng.foundation.registry.models import Household, Membership, Person
from minzheng.sites.demo.services import demo_build


@pytest.fixture
def demo(db):
    result = demo_build(persons=3000, log=lambda m: None)
    return result


def test_roll_is_realistic(demo):
    """One demo city (building it takes a while), checked three ways."""
    roll = demo["steps"]["assistance.roll"]
    residents = Person.objects.filter(region_code__startswith="330381", death_date__isnull=True).count()
    assert HouseholdMeans.objects.count() == Household.objects.filter(region_code__startswith="330381").count()
    on_dibao = Enrollment.objects.filter(program="dibao", state=EnrollmentState.ACTIVE)
    persons = sum(on_dibao.values_list("persons_covered", flat=True))
    assert 0.015 * residents <= persons <= 0.035 * residents, (persons, residents)
    assert Enrollment.objects.filter(program="tekun", state=EnrollmentState.ACTIVE, person__isnull=False).exists()
    assert Enrollment.objects.filter(program="dibao_edge").count() >= 5
    assert Enrollment.objects.filter(state=EnrollmentState.PHASE_OUT).exists()
    assert Enrollment.objects.filter(state=EnrollmentState.EXITED).exists()
    # the demo roll, apart from the households the demo cases approved (they start next month)
    assert roll["dibao"] == on_dibao.filter(person__isnull=True, source_case="").count()
    # new and exited cases spread over the months, as the statistics show them
    starts = set(
        EnrollmentEvent.objects.filter(kind="enrol", enrollment__source_case="").values_list(
            "effective_month", flat=True
        )
    )
    assert len(starts) >= 12
    assert max(starts) < timezone.localdate().replace(day=1) + dt.timedelta(days=1)
    exits = EnrollmentEvent.objects.filter(kind="exit")
    assert exits.exists() and all(e.reason for e in exits)
    # reviews are mostly ahead, not all overdue
    due = Enrollment.objects.filter(state=EnrollmentState.ACTIVE, next_review__lt=timezone.localdate()).count()
    assert due < 0.2 * Enrollment.objects.filter(state=EnrollmentState.ACTIVE).count()

    _enrolled_amounts_are_the_assessment_of_the_means()
    _idempotent_and_simulation_shows_figures()


def _enrolled_amounts_are_the_assessment_of_the_means():
    today = timezone.localdate()
    for e in Enrollment.objects.filter(program="dibao", state=EnrollmentState.ACTIVE, person__isnull=True)[:40]:
        h = e.household
        means = HouseholdMeans.objects.get(household=h)
        members = [
            type("M", (), {"person_id": ms.person_id, "relation": ms.relation, "birth_date": ms.person.birth_date,
                           "disability_kind": ms.person.disability_kind, "disability_grade": ms.person.disability_grade,
                           "serious_illness": ms.person.serious_illness, "self_care": ms.person.self_care})
            for ms in Membership.objects.filter(household=h, valid_to__isnull=True).select_related("person")
        ]  # fmt: skip
        req = sim.assessment_request(
            region_code=h.region_code, hukou_type=h.hukou_type, as_of=today, means=means, members=members
        )
        result = assess(req, standards_for(region_code=h.region_code, hukou_type=h.hukou_type, as_of=today))
        assert result["classification"] == "dibao"
        assert Decimal(result["monthly_amount"]) == e.monthly_amount
        assert e.persons_covered == result["counted_members"]


def _idempotent_and_simulation_shows_figures():
    counts = (HouseholdMeans.objects.count(), Enrollment.objects.count(), EnrollmentEvent.objects.count())
    again = demo_build(persons=3000, log=lambda m: None)
    assert again["steps"]["assistance.roll"] == {"households": 0, "enrolled": 0}
    assert (HouseholdMeans.objects.count(), Enrollment.objects.count(), EnrollmentEvent.objects.count()) == counts
    outcome = sim.simulation_run(as_of=dt.date(2027, 1, 1), changes=[sim.change_parse("dibao_monthly", "8%")])
    total = sim.report_build(outcome.as_json())["total"]
    assert total["paying_before"]["households"] > 20
    assert total["annual_diff"] > 0


def test_demo_caseworkers_have_work_at_every_step(demo):
    from minzheng.engines.cases.models import Case
    from minzheng.engines.cases.selectors import inbox
    from minzheng.foundation.accounts.models import User

    # beside these, the eldercare step's admissions of 特困 persons to a 敬老院 open their 供养方式变更 cases
    admitted = (demo["steps"].get("eldercare.homes") or {}).get("support_cases", 0)
    assert demo["steps"]["assistance.cases"] == Case.objects.count() - admitted > 0
    for username in ("anyang_acceptor", "anyang_investigator", "tangxia_reviewer", "ra_approver"):
        assert inbox(User.objects.get(username=username)).exists(), username
    approved = Case.objects.filter(outcome="approved")
    assert approved.exists() and all(Enrollment.objects.filter(source_case=c.number).exists() for c in approved)
    investigated = Case.objects.filter(history__action="investigate_done").distinct()
    assert investigated.exists() and all(c.data["evidence"][-1]["household_facts"]["members"] for c in investigated)

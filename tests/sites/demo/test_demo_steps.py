"""The demo city is assembled from the steps the business lines register (foundation/demo.py)."""

import pytest

from minzheng.foundation.demo import DEMO_STEPS, DemoStep, demo_steps
from minzheng.foundation.plugins import DuplicateRegistration


def test_the_assistance_line_registers_its_steps_in_order():
    names = [s.name for s in demo_steps()]
    assert names.index("assistance.roll") < names.index("assistance.cases") < names.index("assistance.sources")


@pytest.mark.django_db
def test_demo_build_runs_a_registered_step_with_the_demo_city(monkeypatch):
    from minzheng.sites.demo import services

    seen = []
    # the other steps are left out: only the one registered here runs (and the demo population is built)
    step = DemoStep("test.step", 1, lambda city: seen.append(city) or {"made": len(city.townships)})
    monkeypatch.setattr(services, "demo_steps", lambda: [step])
    result = services.demo_build(persons=30, log=lambda m: None)
    assert result["steps"] == {"test.step": {"made": 2}}
    (city,) = seen
    assert city.region_prefix == "330381" and city.county_user == "ra"
    assert set(city.townships) == set(services.DEMO_TOWNSHIPS)


def test_a_second_step_under_a_taken_name_is_refused():
    with pytest.raises(DuplicateRegistration):
        DEMO_STEPS["assistance.roll"] = DemoStep("assistance.roll", 10, lambda city: None)

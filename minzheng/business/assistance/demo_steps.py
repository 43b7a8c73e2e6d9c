"""The assistance line's share of the demo city (``minzheng demo``, ``foundation/demo.py``): the
roll (means, assessment and enrollment of the households that qualify), cases at every step, and
partner data that fires every monitoring rule."""

from __future__ import annotations

from minzheng.engines.verification.models import BatchState, SourceBatch
from minzheng.foundation.demo import DemoCity, demo_step

from .demo import demo_roll
from .demo_cases import demo_cases
from .demo_sources import demo_sources


@demo_step("assistance.roll", order=10)
def roll_step(city: DemoCity) -> dict:
    roll = demo_roll(region_prefix=city.region_prefix, seed=city.seed, log=city.log)
    if roll.get("households"):
        city.log(
            f"已生成示范救助台账：家庭经济状况 {roll['households']} 户；低保 {roll.get('dibao', 0)} 户 "
            f"{roll.get('dibao_persons', 0)} 人，单人保 {roll.get('dibao_single_person', 0)} 人，"
            f"特困 {roll.get('tekun', 0)} 人，低保边缘 {roll.get('dibao_edge', 0)} 户，"
            f"刚性支出 {roll.get('rigid_expense', 0)} 户，渐退期 {roll.get('phase_out', 0)} 户，"
            f"已退出 {roll.get('exited', 0)} 户"
        )
    return roll


@demo_step("assistance.cases", order=20)
def cases_step(city: DemoCity) -> int:
    return demo_cases(townships=city.townships, county_user=city.county_user, seed=city.seed, log=city.log)


@demo_step("assistance.sources", order=30)
def sources_step(city: DemoCity) -> dict | None:
    if SourceBatch.objects.filter(state=BatchState.ACCEPTED).exists():  # once: a re-run adds no versions
        return None
    return demo_sources(region_prefix=city.region_prefix, seed=city.seed, log=city.log)

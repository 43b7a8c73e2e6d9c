"""The line's inspection checklists for care homes, as data of the supervision engine (templates
by kind and purpose; a published version is never edited, a change is a new version)."""

from __future__ import annotations

import datetime as dt

from .policy import KIND

_MGMT = "《养老机构管理办法》（民政部令第66号）"
_FIRE_STD = "《养老机构服务安全基本规范》（GB 38600-2019）"
FIRE_CODE = "care_home_fire"
FIRE_SECTIONS = [
    {
        "title": "消防安全",
        "items": [
            {"code": "F1", "text": "疏散通道、安全出口畅通，未锁闭、堵塞", "legal_basis": "《消防法》第二十八条",
             "weight": "10", "hazard_on_fail": True, "hazard_level": "major"},
            {"code": "F2", "text": "灭火器、消防设施完好有效", "legal_basis": "《消防法》第十六条", "weight": "5",
             "hazard_on_fail": True, "hazard_level": "general"},
            {"code": "F3", "text": "老年人居室未使用明火、大功率电器", "legal_basis": f"{_FIRE_STD} 第5.8条",
             "weight": "5", "hazard_on_fail": True, "hazard_level": "general"},
            {"code": "F4", "text": "每月开展防火检查，每半年组织消防演练", "legal_basis": f"{_MGMT}第三十五条",
             "weight": "5", "hazard_on_fail": True, "hazard_level": "general"},
        ],
    },
    {
        "title": "服务安全",
        "items": [
            {"code": "S1", "text": "入住前开展老年人能力评估", "legal_basis": f"{_MGMT}第十六条", "weight": "5"},
            {"code": "S2", "text": "食品留样、药品管理符合规定", "legal_basis": f"{_FIRE_STD} 第5.4条", "weight": "5",
             "hazard_on_fail": True, "hazard_level": "general"},
        ],
    },
]  # fmt: skip


def fire_template_ensure(*, user=None, effective_from: dt.date = dt.date(2020, 1, 1)):
    """The published fire-safety checklist of care homes (created and published once)."""
    from minzheng.engines.supervision.models import Template
    from minzheng.engines.supervision.services import template_create, template_publish

    t = Template.objects.filter(code=FIRE_CODE, published=True).order_by("-version").first()
    if t is not None:
        return t
    t = template_create(user=user, kind=KIND, purpose="fire", code=FIRE_CODE, name="养老机构消防安全检查表",
                        effective_from=effective_from, sections=FIRE_SECTIONS,
                        source_document=f"{_MGMT}；{_FIRE_STD}")  # fmt: skip
    return template_publish(user=user, template=t)

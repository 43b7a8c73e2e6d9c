"""Care homes for the line's tests: a registered entity put under supervision as ``care_home``."""

from __future__ import annotations

import datetime as dt

from minzheng.foundation.codes.uscc import check_character

_seq = iter(range(1, 10**6))


def uscc(n: int) -> str:
    body = f"52330381MJ{n:07d}"
    return body + check_character(body)


def home_make(user, region_code: str, *, name: str = "", nature: str = "tekun", level: str = "township",
              beds=(60, 30, 10, 20), since: dt.date | None = None, medical: bool = True):  # fmt: skip
    """A care home in operation at ``region_code`` through the line's service (entity, supervision,
    attributes); ``beds`` = (total, 护理型, 失智照护, 集中供养预留)."""
    from minzheng.business.eldercare.services import care_home_register
    from minzheng.foundation.entities.services import entity_create

    n = next(_seq)
    entity = entity_create(
        user=None,
        data={"uscc": uscc(n), "name": name or f"测试养老院{n}", "kind": "social_service", "region_code": region_code,
              "address": "测试路1号", "representative_name": "张院长", "representative_phone": "13812340000"},
        effective_on=since,
    )  # fmt: skip
    total, nursing, dementia, reserved = beds
    return care_home_register(
        user=user, entity=entity, effective_on=since,
        attributes={"nature": nature, "level": level, "beds_total": total, "beds_nursing": nursing,
                    "beds_dementia": dementia, "beds_reserved": reserved, "medical_integration": medical,
                    "operator": "瑞安市民政局"},
    )  # fmt: skip


def fire_template(user):
    """The line's fire-safety checklist for care homes, published (from the demo's sections)."""
    from minzheng.business.eldercare.checklists import fire_template_ensure

    return fire_template_ensure(user=user)


def inspect(inspector, home, on: dt.date, *, fail=("F1", "F2")):
    """A completed fire-safety inspection of ``home`` on ``on`` failing the items ``fail``: the hazards."""
    from minzheng.engines.supervision import services as sup
    from minzheng.engines.supervision.models import TemplateItem

    inspection = sup.inspection_start(user=inspector, supervised=home, purpose="fire", inspected_on=on)
    for item in TemplateItem.objects.filter(section__template=inspection.template):
        failed = item.code in fail
        sup.inspection_result_set(user=inspector, inspection=inspection, item=item, outcome="fail" if failed else "pass",
                                  note="现场发现问题" if failed else "")  # fmt: skip
    from tests.engines.supervision.helpers import signature

    inspection = sup.inspection_complete(user=inspector, inspection=inspection, conclusion="存在隐患，限期整改",
                                         inspector_signature=signature(inspector, home.entity.region_code),
                                         representative_refused="负责人外出")  # fmt: skip
    return list(inspection.hazards.order_by("pk"))


def close(inspector, hazard, on: dt.date):
    from minzheng.engines.supervision import services as sup

    sup.rectification_submit(user=inspector, hazard=hazard, text="已整改")
    return sup.reinspection_record(user=inspector, hazard=hazard, passed=True, note="复查合格", inspected_on=on)

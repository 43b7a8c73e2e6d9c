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

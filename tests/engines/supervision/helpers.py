"""A test-only entity kind and the fixtures' builders for the supervision engine (the engine knows no
business line, so its tests declare their own kind). Reused by the house checks."""

from __future__ import annotations

import base64
import datetime as dt
from contextlib import contextmanager
from decimal import Decimal

from django.utils import timezone

from minzheng.engines.supervision import kinds
from minzheng.engines.supervision.limits import ESCALATION_DAYS, RECTIFICATION_DAYS
from minzheng.foundation.parameters.models import Standard

# a 1×1 PNG
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)
KIND = "test_home"
TEST_KIND = kinds.Kind(
    KIND,
    "测试机构",
    attributes=(
        kinds.Attribute("beds", "床位数", kinds.INT, required=True, min=0, max=5000, unit="张"),
        kinds.Attribute("area", "建筑面积", kinds.DECIMAL, min=Decimal("0"), unit="平方米"),
        kinds.Attribute("opened", "开业日期", kinds.DATE, min=dt.date(1949, 10, 1)),
        kinds.Attribute("medical", "医养结合", kinds.BOOL),
        kinds.Attribute(
            "nature", "性质", kinds.CHOICE, required=True, choices=(("public", "公办"), ("private", "民办"))
        ),
        kinds.Attribute("operator", "运营方", kinds.TEXT, max=50),
    ),
    permits=(
        kinds.PermitType("filing", "备案", "filing"),
        kinds.PermitType("fire", "消防验收", "licence", expires=True),
    ),
)


@contextmanager
def kind_declared():
    with kinds.KINDS.temporarily(KIND, TEST_KIND):
        yield TEST_KIND


def today() -> dt.date:
    return timezone.localdate()


def limits_set(region_code: str = "", *, general: int = 30, major: int = 7, escalate: int = 10) -> None:
    since = dt.date(2020, 1, 1)
    for level, days in (("general", general), ("major", major)):
        Standard.objects.create(key=RECTIFICATION_DAYS.key, region_code=region_code, mode=level,
                                effective_from=since, value=days, source_document="测试")  # fmt: skip
        Standard.objects.create(key=ESCALATION_DAYS.key, region_code=region_code, mode=level,
                                effective_from=since, value=escalate, source_document="测试")  # fmt: skip


def uscc(serial: int, prefix: str = "52330381MJ") -> str:
    from minzheng.foundation.codes.uscc import check_character

    first17 = prefix + f"{serial:07d}"
    return first17 + check_character(first17)


def entity_make(user, region_code: str, serial: int = 1, name: str = "安阳颐养院"):
    from minzheng.foundation.entities.services import entity_create

    data = {"uscc": uscc(serial), "name": name, "region_code": region_code, "address": "万松路1号",
            "representative_name": "周建华", "representative_phone": "13712345678"}  # fmt: skip
    return entity_create(user=user, data=data, effective_on=today() - dt.timedelta(days=400))


SECTIONS = [
    {
        "title": "消防安全",
        "items": [
            {"code": "F1", "text": "疏散通道畅通", "legal_basis": "《消防法》第二十八条", "weight": "10",
             "hazard_on_fail": True, "hazard_level": "major"},
            {"code": "F2", "text": "灭火器在有效期内", "legal_basis": "《消防法》第十六条", "weight": "5",
             "hazard_on_fail": True, "hazard_level": "general"},
        ],
    },
    {
        "title": "服务管理",
        "items": [
            {"code": "S1", "text": "建立入住评估制度", "legal_basis": "《养老机构管理办法》第十六条", "weight": "5"},
        ],
    },
]  # fmt: skip


def template_make(user, purpose: str = "fire", *, code: str = "T-FIRE", effective_from: dt.date | None = None):
    from minzheng.engines.supervision.services import template_create, template_publish

    t = template_create(
        user=user, kind=KIND, purpose=purpose, code=code, name="消防安全检查表",
        effective_from=effective_from or dt.date(2020, 1, 1), sections=SECTIONS,
    )  # fmt: skip
    return template_publish(user=user, template=t)


def signature(user, region_code: str):
    from minzheng.engines.supervision.services import photo_store

    return photo_store(user=user, data=PNG, name="sign.png", region_code=region_code)

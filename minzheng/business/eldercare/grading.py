"""The care-home score sheet (养老机构等级评定, 1,000 points) as data of the supervision engine's
gradings: sections with their maxima, the five grades with the total and each section's minimum
share (the highest grade whose two conditions both hold). Source: a 长沙 rule page
(https://www.bengbuluntan.com/970, eldercare.md §2); that it matches GB/T 37276-2018
《养老机构等级划分与评定》 is unconfirmed. Seeded by the migration ``eldercare.0003_grading_sheet``."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

SHEET_CODE = "care_home_1000"
SHEET_NAME = "养老机构等级评定评分表（1000分）"
SHEET_FROM = dt.date(2019, 1, 1)
SHEET_SOURCE = (
    "长沙市养老机构等级评定细则（示例，https://www.bengbuluntan.com/970；与 GB/T 37276-2018 的一致性未经确认）"
)
SECTIONS = [("环境", Decimal(120)), ("设施设备", Decimal(130)), ("运营管理", Decimal(150)), ("服务", Decimal(600))]
# name, rank (higher is better), total ≥, each section's share ≥
GRADES = [
    ("五级", 5, Decimal(900), Decimal("0.90")),
    ("四级", 4, Decimal(780), Decimal("0.80")),
    ("三级", 3, Decimal(570), Decimal("0.60")),
    ("二级", 2, Decimal(450), Decimal("0.50")),
    ("一级", 1, Decimal(360), Decimal("0.40")),
]

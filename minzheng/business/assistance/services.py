"""Writes of the social-assistance line: its programs and nationwide policy parameters."""

from __future__ import annotations

import csv
import datetime as dt
from decimal import Decimal
from pathlib import Path

from django.db import transaction

from minzheng.engines.benefits.models import Program, Standard
from minzheng.engines.benefits.services import standard_set
from minzheng.foundation.regions.models import Region

from .policy import NATIONWIDE, NATIONWIDE_FROM, PROGRAMS


def policy_ensure(*, using: str = "default") -> None:
    """Create the programs and any nationwide parameter that has no row yet; never overwrite
    what an administrator has set."""
    for sort, (code, name, short, monthly, prefix) in enumerate(PROGRAMS):
        Program.objects.using(using).get_or_create(
            code=code,
            defaults={
                "name": name,
                "short_name": short,
                "pays_monthly": monthly,
                "number_prefix": prefix,
                "sort": sort,
            },
        )
    for key, hukou, mode, value, citation in NATIONWIDE:
        exists = Standard.objects.using(using).filter(key=key, region_code="", hukou_type=hukou, mode=mode).exists()
        if not exists:
            Standard.objects.using(using).create(
                key=key, region_code="", hukou_type=hukou, mode=mode, effective_from=NATIONWIDE_FROM,
                value=value if isinstance(value, Decimal) else None,
                text_value=value if isinstance(value, str) else "",
                source_document=citation,
            )  # fmt: skip


DEMO_STANDARDS = Path(__file__).resolve().parent / "fixtures" / "demo_standards.csv"


def standards_load(*, path: Path = DEMO_STANDARDS, user=None) -> int:
    """Load standard rows from a CSV (key, region_code, hukou_type, mode, effective_from, value,
    source_document) through ``standard_set``, in date order, skipping regions not loaded. All or
    nothing: any bad row and nothing is written."""
    with open(path, encoding="utf-8") as fh:
        rows = sorted(csv.DictReader(fh), key=lambda r: r["effective_from"])
    known = set(Region.objects.filter(code__in={r["region_code"] for r in rows}).values_list("code", flat=True))
    n = 0
    with transaction.atomic():
        for r in rows:
            if r["region_code"] and r["region_code"] not in known:
                continue
            standard_set(
                user=user, key=r["key"], region_code=r["region_code"], hukou_type=r["hukou_type"], mode=r["mode"],
                value=r["value"], effective_from=dt.date.fromisoformat(r["effective_from"]),
                source_document=r["source_document"],
            )  # fmt: skip
            n += 1
    return n

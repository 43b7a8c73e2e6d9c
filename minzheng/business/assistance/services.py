"""Writes of the social-assistance line: its programs and nationwide policy parameters."""

from __future__ import annotations

from decimal import Decimal

from minzheng.engines.benefits.models import Program, Standard

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

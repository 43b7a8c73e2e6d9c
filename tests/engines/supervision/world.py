"""A small world for the tests of draws, gradings, lists and annual reports: a test-only kind (the
engine knows no line), supervised entities built straight in the tables (what the draw reads, not
how entities are registered), staff with the standard roles."""

from __future__ import annotations

import datetime as dt
from contextlib import contextmanager

import pytest
from django.utils import timezone

from minzheng.engines.supervision import kinds
from minzheng.engines.supervision.models import Supervised
from minzheng.foundation.entities.models import Entity
from tests.conftest import ANYANG, RUIAN, TANGXIA

KIND = "test_site"
TEST_KIND = kinds.Kind(
    KIND,
    "测试场所",
    attributes=(kinds.Attribute("beds", "床位数", kinds.INT, min=0, max=5000, unit="张"),),
)
ANYANG_VILLAGES = [f"330381001{n:03d}" for n in (1, 3, 4, 5, 6, 7, 8, 9, 10, 11)]
TANGXIA_VILLAGES = [f"330381101{n:03d}" for n in range(9, 19)]


@contextmanager
def kind_declared():
    with kinds.KINDS.temporarily(KIND, TEST_KIND):
        yield TEST_KIND


def today() -> dt.date:
    return timezone.localdate()


def uscc(serial: int, prefix: str = "52330381MJ") -> str:
    from minzheng.foundation.codes.uscc import check_character

    first17 = prefix + f"{serial:07d}"
    return first17 + check_character(first17)


def supervised_make(serial: int, region_code: str, *, status: str = "operating", kind: str = KIND) -> Supervised:
    since = today() - dt.timedelta(days=400)
    entity = Entity.objects.create(uscc=uscc(serial), name=f"测试场所{serial}", kind="social_service",
                                   region_code=region_code, representative_name="周建华", status_since=since)  # fmt: skip
    return Supervised.objects.create(entity=entity, kind=kind, status=status, status_since=since)


@pytest.fixture
def site_kind():
    with kind_declared() as k:
        yield k


@pytest.fixture
def organiser(make_user):
    """The county office: draws, grades, lists, reviews reports, configures (approver + admin)."""
    return make_user("s2_county", ("approver", RUIAN), ("admin", RUIAN))


@pytest.fixture
def township_inspectors(make_user):
    return [make_user(f"s2_ay{i}", ("inspector", ANYANG)) for i in range(3)] + [
        make_user(f"s2_tx{i}", ("inspector", TANGXIA)) for i in range(3)
    ]


@pytest.fixture
def county_inspectors(make_user):
    return [make_user(f"s2_ra{i}", ("inspector", RUIAN)) for i in range(2)]


@pytest.fixture
def sites(site_kind, regions):
    """20 operating sites (10 in 安阳街道, 10 in 塘下镇), one closed and one of another kind."""
    rows = [supervised_make(i + 1, code) for i, code in enumerate(ANYANG_VILLAGES + TANGXIA_VILLAGES)]
    supervised_make(90, ANYANG_VILLAGES[0], status="closed")
    supervised_make(91, ANYANG_VILLAGES[0], kind="other_kind")
    return rows

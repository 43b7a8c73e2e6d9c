import datetime as dt
from pathlib import Path

import pytest

from minzheng.foundation.crypto.keys import reset_keyring

DEMO_REGIONS = Path(__file__).resolve().parents[1] / "minzheng" / "foundation" / "regions" / "fixtures" / "demo"
TEST_KEYS = (
    "k2=00112233445566778899aabbccddeeff,k1=ffeeddccbbaa99887766554433221100,index=0123456789abcdef0123456789abcdef"
)

ANYANG = "330381001000"  # 安阳街道
TANGXIA = "330381101000"  # 塘下镇
ANYANG_VILLAGE = "330381001001"
TANGXIA_VILLAGE = "330381101009"
RUIAN = "330381000000"  # 瑞安市
PASSWORD = "Test@Pass2026"


TEST_AUDIT_KEY = "a0" * 32


@pytest.fixture(autouse=True)
def _test_settings(settings, tmp_path):
    settings.MINZHENG_KEYS = TEST_KEYS
    settings.MINZHENG_AUDIT_KEY = TEST_AUDIT_KEY
    # each test its own checkpoint file: the database is rolled back after a test, the file is not
    settings.MINZHENG_AUDIT_CHECKPOINT_FILE = tmp_path / "audit_checkpoints.log"
    # the production hasher costs ~0.3 s a password; tests create many users
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    reset_keyring()
    yield
    reset_keyring()


@pytest.fixture
def regions(db):
    """瑞安市 (330381) and its parents from the shipped demo fixture."""
    from minzheng.foundation.regions.models import Region
    from minzheng.foundation.regions.services import regions_import

    if not Region.objects.filter(code=TANGXIA_VILLAGE).exists():
        regions_import(source=DEMO_REGIONS, prefixes=("330381",))


@pytest.fixture
def make_user(regions):
    from minzheng.foundation.accounts.services import user_create

    def make(username, *grants):
        return user_create(username=username, password=PASSWORD, grants=list(grants))

    return make


@pytest.fixture
def anyang_user(make_user):
    return make_user("anyang", ("acceptor", ANYANG))


@pytest.fixture
def tangxia_user(make_user):
    return make_user("tangxia", ("acceptor", TANGXIA))


@pytest.fixture
def county_user(make_user):
    return make_user("ruian", ("approver", RUIAN))


@pytest.fixture
def leader_user(make_user):
    return make_user("leader", ("leader", RUIAN))


@pytest.fixture
def ids():
    """Valid ID numbers, unique per call."""
    from minzheng.foundation.codes.idnumbers import make_id_number

    counter = iter(range(1, 1000))

    def make(birth=dt.date(1970, 5, 17), male=True, region6="330381"):
        n = next(counter)
        seq = n * 2 - 1 if male else n * 2
        return make_id_number(region6, birth, seq % 1000)

    return make


@pytest.fixture
def household_in(anyang_user, ids):
    """A household of two in 安阳街道 made through the services; returns (household, head, spouse)."""
    from minzheng.foundation.registry import services

    head = services.person_create(
        user=anyang_user,
        data={
            "name": "王建国",
            "id_number": ids(),
            "hukou_type": "urban",
            "region_code": ANYANG_VILLAGE,
            "phone": "13800001111",
        },
    )
    spouse = services.person_create(
        user=anyang_user,
        data={"name": "李秀英", "id_number": ids(male=False), "hukou_type": "urban", "region_code": ANYANG_VILLAGE},
    )
    household = services.household_create(
        user=anyang_user,
        data={
            "region_code": ANYANG_VILLAGE,
            "hukou_type": "urban",
            "address": "安阳路1号",
            "bank_account": "6228480012345678901",
        },
        head=head,
        members=[(spouse, "spouse")],
    )
    return household, head, spouse


@pytest.fixture
def household_other(tangxia_user, ids):
    from minzheng.foundation.registry import services

    head = services.person_create(
        user=tangxia_user,
        data={
            "name": "陈志明",
            "id_number": ids(birth=dt.date(1955, 1, 2)),
            "hukou_type": "rural",
            "region_code": TANGXIA_VILLAGE,
        },
    )
    household = services.household_create(
        user=tangxia_user, data={"region_code": TANGXIA_VILLAGE, "hukou_type": "rural"}, head=head
    )
    return household, head


@pytest.fixture(autouse=True)
def _audit_flushable(request):
    """Transactional tests end with a flush, which on SQLite is a DELETE: lift the append-only
    guard just before it; the post_migrate handler that follows the flush puts it back."""
    marker = request.node.get_closest_marker("django_db")
    transactional = "live_server" in request.fixturenames or (marker is not None and marker.kwargs.get("transaction"))
    if not transactional:
        yield
        return
    request.getfixturevalue("transactional_db")
    yield
    from django.db import connection

    from minzheng.foundation.audit import guard

    if connection.vendor == "sqlite":
        guard.remove(connection)


@pytest.fixture
def assistance_standards(regions):
    """The demo standards of 温州市 (瑞安市 inherits them): 低保 1,180 元 from 2025-07."""
    from minzheng.business.assistance.services import standards_load

    standards_load()

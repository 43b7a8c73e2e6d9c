import pytest

from tests.business.assistance.test_roll_changes import tekun_enrolled  # noqa: F401  (a 特困 person on the roll)
from tests.conftest import RUIAN, TANGXIA
from tests.engines.cases.test_case_items import _media, staff  # noqa: F401  (case staff, media folder)


@pytest.fixture
def elder_staff(make_user):
    return {
        "county": make_user("e_county", ("eldercare_supervisor", RUIAN)),
        "tangxia": make_user("e_tangxia", ("acceptor", TANGXIA)),
    }

import pytest

from tests.conftest import ANYANG, ANYANG_VILLAGE, RUIAN

from .helpers import entity_make, kind_declared, limits_set, template_make


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def kind():
    with kind_declared() as k:
        yield k


@pytest.fixture
def county(make_user):
    """The county office: registers entities, configures templates (approver + admin)."""
    return make_user("sup_county", ("approver", RUIAN), ("admin", RUIAN))


@pytest.fixture
def inspector(make_user):
    return make_user("sup_inspector", ("inspector", ANYANG))


@pytest.fixture
def other_inspector(make_user):
    from tests.conftest import TANGXIA

    return make_user("sup_tangxia", ("inspector", TANGXIA))


@pytest.fixture
def entity(county):
    return entity_make(county, ANYANG_VILLAGE)


@pytest.fixture
def supervised(kind, county, entity):
    from minzheng.engines.supervision.services import supervised_register

    return supervised_register(
        user=county, entity=entity, kind=kind.code, status="operating",
        attributes={"beds": "120", "nature": "public"},
    )  # fmt: skip


@pytest.fixture
def template(kind, county):
    limits_set()
    return template_make(county)

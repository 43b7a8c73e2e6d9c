import pytest


@pytest.fixture
def supervision_test_kind():
    """The supervision engine knows no business line: its services need a declared entity kind, and the
    house checks declare the engine's test kind while they run."""
    from tests.engines.supervision.helpers import kind_declared

    with kind_declared() as kind:
        yield kind

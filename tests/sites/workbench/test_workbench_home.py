"""The home page is assembled from the cards the areas register (sites/workbench/home.py)."""

import pytest

from minzheng.foundation.plugins import DuplicateRegistration
from minzheng.sites.workbench.home import HOME_CARDS, HomeCard, home_card
from tests.conftest import ANYANG


@pytest.mark.django_db
def test_a_registered_card_shows_for_whom_it_has_something(client, make_user):
    allowed = make_user("home_card_yes", ("approver", ANYANG))
    other = make_user("home_card_no", ("finance", ANYANG))

    def build(request):  # a card with something for one user only (the counts template, other figures)
        return {"persons": 987654, "households": 123456} if request.user.pk == allowed.pk else None

    card = HomeCard("test.card", "workbench/registry/_home_registry.html", build, 5, "tiles")
    with HOME_CARDS.temporarily("test.card", card):
        client.force_login(allowed)
        page = client.get("/").content.decode()
        assert "987654" in page and "123456" in page
        # the areas' own cards are still there: the registry's counts
        assert page.count("管辖范围内人员") == 2
        client.force_login(other)
        page = client.get("/").content.decode()
        assert "987654" not in page and page.count("管辖范围内人员") == 1


def test_the_areas_register_their_cards_and_a_taken_name_is_refused():
    assert {"cases.todo", "benefits.payroll_todo", "registry.counts"} <= set(HOME_CARDS)
    with pytest.raises(DuplicateRegistration):
        home_card("cases.todo", template="x.html")(lambda request: None)

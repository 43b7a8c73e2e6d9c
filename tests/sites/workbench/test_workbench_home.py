"""The home page is assembled from the cards the areas register (sites/workbench/home.py)."""

import pytest

from minzheng.foundation.plugins import DuplicateRegistration
from minzheng.sites.workbench.home import HOME_CARDS, HomeCard, home_card
from tests.conftest import ANYANG


@pytest.mark.django_db
def test_a_registered_card_shows_for_whom_it_has_something(client, make_user, tmp_path, settings):
    card_dir = tmp_path / "templates"
    (card_dir / "t").mkdir(parents=True)
    (card_dir / "t" / "card.html").write_text('<section id="test-card">巡查到期 {{ c.due }} 家</section>')
    settings.TEMPLATES[0]["DIRS"] = [*settings.TEMPLATES[0]["DIRS"], card_dir]
    allowed = make_user("home_card_yes", ("approver", ANYANG))
    other = make_user("home_card_no", ("finance", ANYANG))

    def build(request):
        return {"due": 3} if request.user.pk == allowed.pk else None

    with HOME_CARDS.temporarily("test.card", HomeCard("test.card", "t/card.html", build, 5)):
        client.force_login(allowed)
        page = client.get("/").content.decode()
        assert "巡查到期 3 家" in page
        # the areas' own cards are still there: the counts of the registry
        assert "管辖范围内人员" in page
        client.force_login(other)
        assert "test-card" not in client.get("/").content.decode()


def test_the_areas_register_their_cards_and_a_taken_name_is_refused():
    assert {"cases.todo", "benefits.payroll_todo", "registry.counts"} <= set(HOME_CARDS)
    with pytest.raises(DuplicateRegistration):
        home_card("cases.todo", template="x.html")(lambda request: None)

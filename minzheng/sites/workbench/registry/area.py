from ..areas import Area, area_register
from ..home import home_card
from ..menu import MenuEntry

area_register(
    Area(
        namespace="registry",
        urls="minzheng.sites.workbench.registry.urls",
        label="人口家庭",
        order=10,
        menu=(
            MenuEntry("人员", "workbench:registry:person_list", "registry", 10),
            MenuEntry("家庭", "workbench:registry:household_list", "registry", 20),
            MenuEntry("导入", "workbench:registry:import", "registry", 30, "registry.import"),
        ),
    )
)


@home_card("registry.counts", template="workbench/registry/_home_registry.html", order=10, place="tiles")
def counts_card(request):
    """The persons and households within the user's regions."""
    from minzheng.foundation.registry.models import Household, Person

    user = request.user
    return {
        "persons": Person.objects.for_user(user, "registry.view").count(),
        "households": Household.objects.for_user(user, "registry.view").count(),
    }

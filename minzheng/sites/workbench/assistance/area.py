from ..areas import Area, area_register
from ..menu import MenuEntry

area_register(
    Area(
        namespace="assistance",
        urls="minzheng.sites.workbench.assistance.urls",
        label="社会救助",
        order=40,
        menu=(
            MenuEntry("测算", "workbench:assistance:assess", "assistance", 10, "benefits.assess"),
            MenuEntry("提标测算", "workbench:assistance:simulation", "assistance", 80, "benefits.simulate"),
        ),
    )
)

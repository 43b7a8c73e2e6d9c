from ..areas import Area, area_register
from ..menu import MenuEntry

area_register(
    Area(
        namespace="cases",
        urls="minzheng.sites.workbench.cases.urls",
        label="办件",
        order=20,
        menu=(
            MenuEntry("待办", "workbench:cases:inbox", "cases", 10, "cases.view"),
            MenuEntry("办件", "workbench:cases:list", "cases", 20, "cases.view"),
            MenuEntry("公示", "workbench:cases:notices", "cases", 30, "cases.view"),
            MenuEntry("督办", "workbench:cases:supervision", "cases", 40, "cases.supervise"),
        ),
    )
)

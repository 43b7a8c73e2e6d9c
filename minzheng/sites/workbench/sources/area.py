from ..areas import Area, area_register
from ..menu import MenuEntry

area_register(
    Area(
        namespace="sources",
        urls="minzheng.sites.workbench.sources.urls",
        label="数据源",
        order=60,
        menu=(MenuEntry("数据源", "workbench:sources:list", "system", 10, "sources.view"),),
    )
)

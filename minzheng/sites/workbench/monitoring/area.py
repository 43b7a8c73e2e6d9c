from ..areas import Area, area_register
from ..menu import MenuEntry

area_register(
    Area(
        namespace="monitoring",
        urls="minzheng.sites.workbench.monitoring.urls",
        label="预警",
        order=70,
        menu=(MenuEntry("预警", "workbench:monitoring:alerts", "assistance", 70, "monitoring.view"),),
    )
)

from ..areas import Area, area_register
from ..menu import MenuEntry

area_register(
    Area(
        namespace="verification",
        urls="minzheng.sites.workbench.verification.urls",
        label="核对",
        order=50,
        menu=(MenuEntry("核对", "workbench:verification:list", "assistance", 60, "verification.view"),),
    )
)

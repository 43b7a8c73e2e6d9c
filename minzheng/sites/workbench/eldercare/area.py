from ..areas import Area, area_register
from ..menu import MenuEntry

area_register(
    Area(
        namespace="eldercare",
        urls="minzheng.sites.workbench.eldercare.urls",
        label="养老服务",
        order=50,
        menu=(
            MenuEntry("养老机构", "workbench:eldercare:homes", "elderly", 10, "eldercare.view"),
            MenuEntry("预付费超限", "workbench:eldercare:breaches", "elderly", 40, "eldercare.prepaid"),
            MenuEntry("养老服务统计", "workbench:eldercare:figures", "elderly", 80, "eldercare.view"),
        ),
    )
)

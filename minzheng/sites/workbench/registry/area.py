from ..areas import Area, area_register
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

from ..areas import Area, area_register
from ..menu import MenuEntry, Section, section_register

# the supervision engine serves several lines (养老机构, 社会组织, 公墓 …): one section of its own
section_register(Section("supervision", "监督检查", 65))

area_register(
    Area(
        namespace="supervision",
        urls="minzheng.sites.workbench.supervision.urls",
        label="监督检查",
        order=65,
        menu=(
            MenuEntry("监管对象", "workbench:supervision:entities", "supervision", 10, "supervision.view"),
            MenuEntry("隐患台账", "workbench:supervision:hazards", "supervision", 20, "supervision.view"),
        ),
    )
)

from ..areas import Area, area_register
from ..menu import MenuEntry

area_register(
    Area(
        namespace="benefits",
        urls="minzheng.sites.workbench.benefits.urls",
        label="待遇保障",
        order=30,
        menu=(
            MenuEntry("保障对象", "workbench:benefits:enrollments", "assistance", 20, "benefits.view"),
            MenuEntry("保障标准", "workbench:benefits:standards", "assistance", 30, "benefits.view"),
            MenuEntry("发放", "workbench:benefits:payroll", "assistance", 40, ("payroll.prepare", "payroll.approve")),
            MenuEntry("临时救助发放", "workbench:benefits:payment_list", "assistance", 50, "benefits.view"),
            MenuEntry("统计", "workbench:benefits:statistics", "statistics", 10, "benefits.view"),
        ),
    )
)

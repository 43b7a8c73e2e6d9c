from ..areas import Area, area_register
from ..menu import MenuEntry

area_register(
    Area(
        namespace="system",
        urls="minzheng.sites.workbench.system.urls",
        label="系统",
        order=90,
        menu=(
            MenuEntry("工作日历", "workbench:system:calendar", "system", 20, "accounts.manage"),
            MenuEntry("审计", "workbench:system:audit_list", "system", 30, "audit.view"),
            MenuEntry("消息", "workbench:system:messages", "mine", 10),
            MenuEntry("任务", "workbench:system:job_list", "mine", 20),
        ),
    )
)

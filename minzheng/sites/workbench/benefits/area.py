from ..areas import Area, area_register
from ..home import home_card
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
            MenuEntry("一次性发放", "workbench:benefits:payment_list", "assistance", 50, "benefits.view"),
            MenuEntry("统计", "workbench:benefits:statistics", "statistics", 10, "benefits.view"),
        ),
    )
)


@home_card("benefits.payroll_todo", template="workbench/benefits/_home_payroll.html", order=20)
def payroll_card(request):
    """发放批次 awaiting this finance officer's approval (calculated by someone else)."""
    from minzheng.foundation.regions.selectors import region_names

    from .views_payroll import cycles_to_approve

    todo = list(cycles_to_approve(request.user)[:10])
    if not todo:
        return None
    return {"payroll_todo": todo, "payroll_names": region_names(c.region_code for c in todo)}

from ..areas import Area, area_register
from ..home import home_card
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


@home_card("eldercare.alerts", template="workbench/eldercare/_home_alerts.html", order=40)
def alerts_card(request):
    """Care homes' prepaid breaches not yet resolved and incidents past their time limit, in the
    user's regions."""
    from minzheng.business.eldercare import selectors
    from minzheng.foundation.accounts.scoping import has_permission

    if not has_permission(request.user, "eldercare.view"):
        return None
    breaches = selectors.breaches_for(request.user).count() if has_permission(request.user, "eldercare.prepaid") else 0
    overdue = list(selectors.incidents_overdue(request.user).select_related("supervised__entity")[:10])
    if not breaches and not overdue:
        return None
    return {"breaches": breaches, "overdue": overdue}

from ..areas import Area, area_register
from ..home import home_card
from ..menu import MenuEntry

area_register(
    Area(
        namespace="cases",
        urls="minzheng.sites.workbench.cases.urls",
        label="办件",
        order=20,
        menu=(
            MenuEntry("待办", "workbench:cases:inbox", "cases", 10, "cases.view"),
            MenuEntry("办件", "workbench:cases:list", "cases", 20, "cases.view"),
            MenuEntry("公示", "workbench:cases:notices", "cases", 30, "cases.view"),
            MenuEntry("督办", "workbench:cases:supervision", "cases", 40, "cases.supervise"),
        ),
    )
)


@home_card("cases.todo", template="workbench/cases/_home_todo.html", order=10)
def todo_card(request):
    """我的待办: caseworkers start from their inbox — the first tasks by deadline, and the counts;
    while a task's 公示 runs it shows the notice period and no deadline flag."""
    from minzheng.engines.cases import selectors as cases

    tasks = cases.inbox(request.user)
    open_count = tasks.count()
    if not open_count:
        return None
    flags = cases.Flags.today()
    rows = []
    for task in cases.tasks_with_notices(tasks[:10]):
        if not (task.not_before and flags.today_ < task.not_before):
            task.notice = None
        rows.append((task, "" if task.notice else flags.of(task.due_date)))
    return {
        "tasks": rows,
        "tasks_open": open_count,
        "tasks_overdue": tasks.filter(due_date__lt=flags.today_).count(),
        "tasks_near": tasks.filter(due_date__gte=flags.today_, due_date__lte=flags.warn_until).count(),
        "calendar_warning": cases.calendar_warning(),
    }

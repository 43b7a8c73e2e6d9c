"""The benefits engine's permissions (enrollments, standards, payroll) and who holds them by default."""

from minzheng.foundation.accounts.roles import permissions_declare, role_grant

permissions_declare(
    {
        "benefits.view": "查看待遇与名册",
        "benefits.change": "办理待遇变更",
        "benefits.assess": "核算待遇",
        "benefits.simulate": "提标测算",
        "standards.manage": "设定保障标准",
        "payroll.prepare": "编制发放名册",
        "payroll.approve": "审核发放名册",
    }
)

CASEWORK = ["benefits.view", "benefits.change", "benefits.assess"]
for role in ("acceptor", "investigator", "reviewer"):
    role_grant(role, CASEWORK)
role_grant("approver", [*CASEWORK, "standards.manage", "benefits.simulate"])
role_grant("finance", ["benefits.view", "benefits.assess", "payroll.prepare", "payroll.approve", "benefits.simulate"])
role_grant("leader", ["benefits.view", "benefits.assess", "benefits.simulate"])
role_grant("admin", [*CASEWORK, "standards.manage", "benefits.simulate", "payroll.prepare", "payroll.approve"])

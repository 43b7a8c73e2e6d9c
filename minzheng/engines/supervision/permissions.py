"""The supervision engine's permissions, the inspector role, and who holds them by default.

``supervision.inspect`` is what the draw's inspector pool reads (staff granted it over a region):
the role 监督检查员 holds it; the county office (approver, admin) configures templates and the
standards of time limits and sees the whole county's ledger."""

from minzheng.foundation.accounts.roles import permissions_declare, role_declare, role_grant

permissions_declare(
    {
        "supervision.view": "查看监管对象和隐患台账",
        "supervision.manage": "登记和变更监管对象",
        "supervision.inspect": "实施监督检查和复查",
        "supervision.rectify": "代录隐患整改情况",
        "supervision.configure": "配置检查表",
    }
)

INSPECTOR = ["supervision.view", "supervision.inspect", "supervision.rectify", "entities.view"]
role_declare("inspector", "监督检查员", sort=10, permissions=INSPECTOR)
role_grant("approver", ["supervision.view", "supervision.manage", "supervision.rectify"])
role_grant("admin", ["supervision.view", "supervision.manage", "supervision.rectify", "supervision.configure"])
role_grant("leader", ["supervision.view"])

"""The case engine's permissions and who holds them by default."""

from minzheng.foundation.accounts.roles import permissions_declare, role_grant

permissions_declare(
    {
        "cases.view": "查看办件",
        "cases.act": "办理办件",
        "cases.open": "受理申请",
        "cases.supervise": "督办办件",
        "cases.configure": "配置事项",
    }
)

CASES = ["cases.view", "cases.act"]
role_grant("acceptor", [*CASES, "cases.open"])
role_grant("investigator", CASES)
role_grant("reviewer", [*CASES, "cases.open"])
role_grant("approver", [*CASES, "cases.supervise", "cases.configure"])
role_grant("leader", ["cases.view", "cases.supervise"])
role_grant("admin", [*CASES, "cases.open", "cases.supervise", "cases.configure"])

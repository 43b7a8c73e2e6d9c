"""The monitoring engine's permissions and who holds them by default."""

from minzheng.foundation.accounts.roles import permissions_declare, role_grant

permissions_declare(
    {
        "monitoring.view": "查看预警",
        "monitoring.handle": "处置预警",
        "monitoring.run": "运行监测",
        "monitoring.configure": "配置监测规则",
    }
)

HANDLE = ["monitoring.view", "monitoring.handle"]  # see and handle the township's alerts
OFFICE = ["monitoring.run", "monitoring.configure"]  # the county's 监测 office
for role in ("acceptor", "investigator", "reviewer"):
    role_grant(role, HANDLE)
role_grant("approver", [*HANDLE, *OFFICE])
role_grant("admin", [*HANDLE, *OFFICE])
role_grant("leader", ["monitoring.view"])

"""The organisations registry's permissions and who holds them by default."""

from minzheng.foundation.accounts.roles import permissions_declare, role_grant

permissions_declare({"entities.view": "查看法人和其他组织", "entities.change": "登记和变更法人和其他组织"})

for role in ("approver", "admin"):
    role_grant(role, ["entities.view", "entities.change"])
role_grant("leader", ["entities.view"])

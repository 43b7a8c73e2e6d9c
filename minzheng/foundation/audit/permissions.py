"""The audit log's permission and who holds it by default."""

from minzheng.foundation.accounts.roles import permissions_declare, role_grant

permissions_declare({"audit.view": "查看审计日志"})

role_grant("leader", ["audit.view"])
role_grant("admin", ["audit.view"])

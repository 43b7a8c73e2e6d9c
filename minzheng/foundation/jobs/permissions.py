"""The background jobs' permission and who holds it by default."""

from minzheng.foundation.accounts.roles import permissions_declare, role_grant

permissions_declare({"jobs.manage": "管理后台任务"})

role_grant("admin", ["jobs.manage"])

"""The verification engine's permissions (partner data and 核对) and who holds them by default."""

from minzheng.foundation.accounts.roles import permissions_declare, role_grant

permissions_declare(
    {
        "verification.view": "查看核对报告",
        "verification.request": "申请核对",
        "verification.issue": "出具核对报告",
        "verification.batch": "批量核对",
        "sources.view": "查看部门数据",
        "sources.load": "导入部门数据",
    }
)

REQUEST = ["verification.view", "verification.request"]  # ask for a 核对 and read its report
# the county's 核对机构: partner data, reports, batch runs
OFFICE = ["sources.view", "sources.load", "verification.issue", "verification.batch"]
for role in ("acceptor", "investigator", "reviewer"):
    role_grant(role, REQUEST)
role_grant("approver", [*REQUEST, *OFFICE])
role_grant("admin", [*REQUEST, *OFFICE])
role_grant("leader", ["verification.view", "sources.view"])

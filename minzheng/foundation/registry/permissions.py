"""The registry's permissions and who holds them by default."""

from minzheng.foundation.accounts.roles import permissions_declare, role_grant

permissions_declare(
    {
        "registry.view": "查看人员与家庭",
        "registry.change": "登记和修改人员与家庭",
        "registry.reveal": "查看完整证件号码",
        "registry.export": "导出名册",
        "registry.import": "批量导入人员与家庭",
    }
)

ALL = ["registry.view", "registry.change", "registry.reveal", "registry.export"]
for role in ("acceptor", "investigator", "reviewer", "approver", "admin"):
    role_grant(role, ALL)
role_grant("acceptor", ["registry.import"])
role_grant("admin", ["registry.import"])
role_grant("finance", ["registry.view", "registry.reveal", "registry.export"])
role_grant("leader", ["registry.view", "registry.export"])

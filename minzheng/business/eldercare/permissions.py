"""The line's permissions, its role 养老机构监管员 (county office staff supervising care homes), and
what the shared roles get by default."""

from minzheng.foundation.accounts.roles import permissions_declare, role_declare, role_grant

permissions_declare(
    {
        "eldercare.view": "查看养老机构",
        "eldercare.manage": "登记养老机构、床位和公建民营合同",
        "eldercare.residents": "办理养老机构入住、退住和能力评估",
        "eldercare.prepaid": "报送和监管养老机构预付费",
        "eldercare.incidents": "报告和处置养老机构突发事件",
        "eldercare.workers": "管理养老护理员和培训竞赛",
    }
)

ALL = ["eldercare.view", "eldercare.manage", "eldercare.residents", "eldercare.prepaid", "eldercare.incidents",
       "eldercare.workers"]  # fmt: skip
role_declare(
    "eldercare_supervisor",
    "养老机构监管员",
    sort=46,
    permissions=[*ALL, "supervision.view", "supervision.manage", "entities.view", "entities.change"],
)
role_grant("acceptor", ["eldercare.view", "eldercare.residents", "eldercare.incidents"])  # 乡镇: 敬老院 residents
role_grant("approver", ALL)
role_grant("admin", ALL)
role_grant("leader", ["eldercare.view"])

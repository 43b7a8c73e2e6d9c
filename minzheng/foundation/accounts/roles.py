"""The standard roles and what each may do. Seeded as data by migration; administrators may edit."""

ROLES = [
    # code, 名称, permissions
    ("acceptor", "受理员", ["registry.view", "registry.change", "registry.reveal", "registry.import", "registry.export"]),
    ("investigator", "调查员", ["registry.view", "registry.change", "registry.reveal", "registry.export"]),
    ("reviewer", "审核员", ["registry.view", "registry.change", "registry.reveal", "registry.export"]),
    ("approver", "审批员", ["registry.view", "registry.change", "registry.reveal", "registry.export"]),
    ("finance", "财务", ["registry.view", "registry.reveal", "registry.export"]),
    ("leader", "领导", ["registry.view", "registry.export", "audit.view"]),
    (
        "admin",
        "系统管理员",
        [
            "registry.view", "registry.change", "registry.reveal", "registry.import", "registry.export",
            "accounts.manage", "audit.view", "jobs.manage",
        ],
    ),
]  # fmt: skip

PERMISSION_NAMES = {
    "registry.view": "查看人员与家庭",
    "registry.change": "新增与修改人员、家庭",
    "registry.reveal": "查看完整证件号码、电话、银行账号",
    "registry.import": "导入家庭",
    "registry.export": "导出列表",
    "accounts.manage": "管理工作人员",
    "audit.view": "查看审计日志",
    "jobs.manage": "管理后台任务",
}


def roles_ensure(Role) -> None:
    """Create any standard role that is missing; never overwrite what an administrator changed."""
    for sort, (code, name, permissions) in enumerate(ROLES):
        Role.objects.get_or_create(code=code, defaults={"name": name, "permissions": permissions, "sort": sort})

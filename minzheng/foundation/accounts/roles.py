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


def roles_ensure(Role) -> None:
    """Create any standard role that is missing; never overwrite what an administrator changed."""
    for sort, (code, name, permissions) in enumerate(ROLES):
        Role.objects.get_or_create(code=code, defaults={"name": name, "permissions": permissions, "sort": sort})

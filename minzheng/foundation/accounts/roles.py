"""The standard roles and what each may do. Seeded as data by migration; administrators may edit."""

REGISTRY_ALL = ["registry.view", "registry.change", "registry.reveal", "registry.export"]
BENEFITS_CASEWORK = ["benefits.view", "benefits.change", "benefits.assess"]
CASES = ["cases.view", "cases.act"]
VERIFY = ["verification.view", "verification.request"]  # ask for a 核对 and read its report
MONITOR = ["monitoring.view", "monitoring.handle"]  # see and handle the township's alerts
# the county's 核对机构 / 监测 office: partner data, reports, batch runs, rules
VERIFY_OFFICE = [
    "sources.view",
    "sources.load",
    "verification.issue",
    "verification.batch",
    "monitoring.run",
    "monitoring.configure",
]

ROLES = [
    # code, 名称, permissions
    ("acceptor", "受理员", [*REGISTRY_ALL, "registry.import", *BENEFITS_CASEWORK, *CASES, "cases.open", *VERIFY,
                          *MONITOR]),
    ("investigator", "调查员", [*REGISTRY_ALL, *BENEFITS_CASEWORK, *CASES, *VERIFY, *MONITOR]),
    ("reviewer", "审核员", [*REGISTRY_ALL, *BENEFITS_CASEWORK, *CASES, "cases.open", *VERIFY, *MONITOR]),
    ("approver", "审批员", [*REGISTRY_ALL, *BENEFITS_CASEWORK, "standards.manage", "benefits.simulate", *CASES,
                          "cases.supervise", "cases.configure", *VERIFY, *MONITOR, *VERIFY_OFFICE]),
    ("finance", "财务", ["registry.view", "registry.reveal", "registry.export", "benefits.view", "benefits.assess",
                       "payroll.prepare", "payroll.approve", "benefits.simulate"]),
    ("leader", "领导", ["registry.view", "registry.export", "audit.view", "benefits.view", "benefits.assess",
                      "benefits.simulate", "cases.view", "cases.supervise", "verification.view", "monitoring.view",
                      "sources.view"]),
    (
        "admin",
        "系统管理员",
        [
            *REGISTRY_ALL, "registry.import", "accounts.manage", "audit.view", "jobs.manage",
            *BENEFITS_CASEWORK, "standards.manage", "benefits.simulate", "payroll.prepare", "payroll.approve",
            *CASES, "cases.open", "cases.supervise", "cases.configure", *VERIFY, *MONITOR, *VERIFY_OFFICE,
        ],
    ),
]  # fmt: skip


def roles_ensure(Role) -> None:
    """Create any standard role that is missing; never overwrite what an administrator changed."""
    for sort, (code, name, permissions) in enumerate(ROLES):
        Role.objects.get_or_create(code=code, defaults={"name": name, "permissions": permissions, "sort": sort})


def roles_add_permissions(Role, new: set[str]) -> None:
    """For a data migration: give the standard roles those permissions of ``new`` that they hold in
    :data:`ROLES` but not yet in the database (installs seeded before an engine existed). Nothing
    outside ``new`` is touched, and roles an administrator created are left alone."""
    for code, _name, permissions in ROLES:
        role = Role.objects.filter(code=code).first()
        if role is None:
            continue
        added = [p for p in permissions if p in new and p not in role.permissions]
        if added:
            role.permissions = [*role.permissions, *added]
            role.save(update_fields=["permissions"])

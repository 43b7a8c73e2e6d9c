"""Permissions declared by each app, roles as seed data, and the ``minzheng`` system check."""

import pytest
from django.core import checks

from minzheng.foundation.accounts import roles
from minzheng.foundation.accounts.checks import permission_uses, permissions_check
from minzheng.foundation.plugins import DuplicateRegistration

# The standard roles as foundation listed them before each app declared its own (issue 15): the
# declarations spread over the apps must add up to exactly this.
REGISTRY_ALL = ["registry.view", "registry.change", "registry.reveal", "registry.export"]
CASEWORK = ["benefits.view", "benefits.change", "benefits.assess"]
CASES = ["cases.view", "cases.act"]
VERIFY = ["verification.view", "verification.request"]
MONITOR = ["monitoring.view", "monitoring.handle"]
OFFICE = ["sources.view", "sources.load", "verification.issue", "verification.batch", "monitoring.run",
          "monitoring.configure"]  # fmt: skip
BEFORE = [
    ("acceptor", "受理员", [*REGISTRY_ALL, "registry.import", *CASEWORK, *CASES, "cases.open", *VERIFY, *MONITOR]),
    ("investigator", "调查员", [*REGISTRY_ALL, *CASEWORK, *CASES, *VERIFY, *MONITOR]),
    ("reviewer", "审核员", [*REGISTRY_ALL, *CASEWORK, *CASES, "cases.open", *VERIFY, *MONITOR]),
    ("approver", "审批员", [*REGISTRY_ALL, *CASEWORK, "standards.manage", "benefits.simulate", *CASES,
                          "cases.supervise", "cases.configure", *VERIFY, *MONITOR, *OFFICE]),
    ("finance", "财务", ["registry.view", "registry.reveal", "registry.export", "benefits.view", "benefits.assess",
                       "payroll.prepare", "payroll.approve", "benefits.simulate"]),
    ("leader", "领导", ["registry.view", "registry.export", "audit.view", "benefits.view", "benefits.assess",
                      "benefits.simulate", "cases.view", "cases.supervise", "verification.view", "monitoring.view",
                      "sources.view"]),
    ("admin", "系统管理员", [*REGISTRY_ALL, "registry.import", "accounts.manage", "audit.view", "jobs.manage",
                        *CASEWORK, "standards.manage", "benefits.simulate", "payroll.prepare", "payroll.approve",
                        *CASES, "cases.open", "cases.supervise", "cases.configure", *VERIFY, *MONITOR, *OFFICE]),
]  # fmt: skip


# added since by the organisations registry (foundation/entities, with its data migration)
ENTITIES = {"approver": ["entities.view", "entities.change"], "admin": ["entities.view", "entities.change"],
            "leader": ["entities.view"]}  # fmt: skip


# added since by the supervision engine (its permissions.py, with its data migrations 0002 and 0003),
# with its own role 监督检查员 (sort 10: after the standard seven)
_SUP_OFFICE = ["supervision.view", "supervision.manage", "supervision.rectify", "supervision.draw",
               "supervision.grade", "supervision.list", "supervision.report"]  # fmt: skip
SUPERVISION = {"approver": _SUP_OFFICE, "admin": [*_SUP_OFFICE, "supervision.configure"],
               "leader": ["supervision.view"]}  # fmt: skip
# added since by the eldercare line (business/eldercare/permissions.py, with its data migration), with its
# own role 养老机构监管员 (sort 46)
_ELDER = ["eldercare.view", "eldercare.manage", "eldercare.residents", "eldercare.prepaid", "eldercare.incidents",
          "eldercare.workers"]  # fmt: skip
ELDERCARE = {"acceptor": ["eldercare.view", "eldercare.residents", "eldercare.incidents"], "approver": _ELDER,
             "admin": _ELDER, "leader": ["eldercare.view"]}  # fmt: skip
NEW_ROLES = [
    ("inspector", "监督检查员", ["supervision.view", "supervision.inspect", "supervision.rectify", "entities.view"]),
    (
        "eldercare_supervisor",
        "养老机构监管员",
        [*_ELDER, "supervision.view", "supervision.manage", "entities.view", "entities.change"],
    ),
]


def test_the_declarations_add_up_to_the_standard_roles_as_they_were():
    declared = roles.standard_roles()
    expected = [*BEFORE, *NEW_ROLES]
    assert [(code, name) for code, name, _ in declared] == [(code, name) for code, name, _ in expected]
    for (code, _, permissions), (_, _, before) in zip(declared, expected, strict=True):
        added = [*ENTITIES.get(code, []), *SUPERVISION.get(code, []), *ELDERCARE.get(code, [])]
        assert sorted(permissions) == sorted([*before, *added]), code
        assert len(permissions) == len(set(permissions)), code


def test_every_permission_has_a_chinese_label_and_the_shape_app_action():
    assert len(roles.PERMISSIONS) >= 32
    for code, label in roles.PERMISSIONS.items():
        assert roles.PERMISSION_RE.match(code) and label and label.isascii() is False, code


def test_the_real_tree_passes_the_check_registered_at_start_up():
    from django.core.checks.registry import registry

    assert permissions_check in registry.get_checks() and "minzheng" in registry.tags_available()
    assert permissions_check() == []


def test_the_scan_finds_the_uses_in_code_and_templates():
    uses = {(u.permission, u.where.split(":")[0]) for u in permission_uses()}
    assert ("payroll.approve", "minzheng/engines/benefits/payroll.py") in uses  # users_with_permission(...)
    assert ("registry.view", "minzheng/foundation/registry/selectors.py") in uses  # for_user(user, ...)
    assert ("benefits.view", "minzheng/sites/workbench/common/forms.py") in uses  # region_permission = ...
    assert ("monitoring.view", "minzheng/engines/monitoring/selectors.py") in uses  # a parameter's default
    assert ("registry.reveal", "minzheng/sites/workbench/context.py") in uses  # for code in (...): has_permission
    assert any(w.endswith(".html") for p, w in uses if p == "standards.manage")  # user|can:"standards.manage"


def test_a_permission_used_in_code_but_declared_by_nobody_fails(monkeypatch):
    monkeypatch.delitem(roles.PERMISSIONS, "cases.configure")
    errors = permissions_check()
    assert {e.id for e in errors} == {"minzheng.E001", "minzheng.E003"}
    used = next(e for e in errors if e.id == "minzheng.E003")
    assert used.level == checks.ERROR and "cases.configure" in used.msg and "cases/services.py" in used.msg
    granted = {e.msg for e in errors if e.id == "minzheng.E001"}
    assert any("approver" in m and "cases.configure" in m for m in granted)


def test_a_typo_in_a_new_module_fails(tmp_path):
    package = tmp_path / "minzheng"
    (package / "business" / "care").mkdir(parents=True)
    (package / "business" / "care" / "views.py").write_text(
        "from minzheng.foundation.accounts.scoping import has_permission\n\n"
        "def _need(user, permission):\n    return has_permission(user, permission)\n\n"
        "def page(request):\n    _need(request.user, 'benefit.view')\n    return qs.for_user(request.user, 'cases.view')\n",
        encoding="utf-8",
    )
    (package / "business" / "care" / "templates").mkdir()
    (package / "business" / "care" / "templates" / "x.html").write_text('{% if user|can:"care.nope" %}', "utf-8")
    errors = permissions_check(root=package)
    assert [e.id for e in errors] == ["minzheng.E003", "minzheng.E003"]
    assert "benefit.view" in errors[0].msg and "minzheng/business/care/views.py:7" in errors[0].msg
    assert "care.nope" in errors[1].msg


def test_a_role_granting_an_undeclared_permission_or_an_undeclared_role_fails(monkeypatch):
    monkeypatch.setitem(roles._GRANTS, "leader", {**roles._GRANTS["leader"], "care.view": "tests"})
    monkeypatch.setitem(roles._GRANTS, "child_director", {"cases.view": "tests"})
    ids = sorted(e.id for e in permissions_check())
    assert ids == ["minzheng.E001", "minzheng.E002"]


def test_a_line_declares_its_own_role_and_permissions_without_touching_foundation(monkeypatch):
    monkeypatch.setattr(roles, "PERMISSIONS", roles.Registry("权限", roles.PERMISSIONS.items()))
    monkeypatch.setattr(roles, "ROLES", roles.Registry("角色", roles.ROLES.items()))
    monkeypatch.setattr(roles, "_GRANTS", {k: dict(v) for k, v in roles._GRANTS.items()})
    roles.permissions_declare({"children.view": "查看儿童福利", "children.visit": "走访儿童"})
    roles.role_declare("child_director", "儿童主任", sort=30, permissions=["children.view", "children.visit"])
    roles.role_grant("leader", ["children.view"])
    declared = {code: (name, perms) for code, name, perms in roles.standard_roles()}
    assert declared["child_director"] == ("儿童主任", ["children.view", "children.visit"])
    assert "children.view" in declared["leader"][1]
    order = list(declared)  # by sort: after the standard seven (0–6) and 监督检查员 (10), before 养老机构监管员 (46)
    assert (
        order.index("admin")
        < order.index("inspector")
        < order.index("child_director")
        < order.index("eldercare_supervisor")
    )
    with pytest.raises(DuplicateRegistration):
        roles.permissions_declare({"children.view": "别的名称"})
    with pytest.raises(ValueError, match="格式"):
        roles.permissions_declare({"Children-View": "x"})


@pytest.mark.django_db
def test_seeding_creates_missing_roles_and_never_overwrites_an_administrators_change(monkeypatch):
    from minzheng.foundation.accounts.models import Role

    Role.objects.filter(code="leader").update(permissions=["registry.view"])
    Role.objects.filter(code="finance").delete()
    roles.roles_ensure(Role)
    assert Role.objects.get(code="leader").permissions == ["registry.view"]
    assert sorted(Role.objects.get(code="finance").permissions) == sorted(BEFORE[4][2])
    roles.roles_add_permissions(Role, {"audit.view"})
    assert Role.objects.get(code="leader").permissions == ["registry.view", "audit.view"]


@pytest.mark.django_db
def test_the_role_admin_refuses_an_undeclared_permission():
    from minzheng.foundation.accounts.admin import RoleForm

    form = RoleForm(data={"code": "child_director", "name": "儿童主任", "sort": 30,
                          "permissions": '["cases.view", "children.visit"]'})  # fmt: skip
    assert not form.is_valid() and "未声明的权限：children.visit" in form.errors["permissions"][0]
    form = RoleForm(data={"code": "child_director", "name": "儿童主任", "sort": 30,
                          "permissions": '["cases.view", "cases.view"]'})  # fmt: skip
    assert form.is_valid() and form.save().permissions == ["cases.view"]

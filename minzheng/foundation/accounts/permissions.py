"""The accounts app's permission and the standard roles every business line shares.

The standard roles are named here with no permissions of their own beyond the accounts app's: each
app grants them its permissions in its own ``permissions.py`` (:func:`~.roles.role_grant`), and a
business line adds its own roles (儿童主任, 养老机构监管员 …) there too, without editing this file.
"""

from .roles import permissions_declare, role_declare

permissions_declare({"accounts.manage": "管理用户与授权"})

role_declare("acceptor", "受理员", sort=0)
role_declare("investigator", "调查员", sort=1)
role_declare("reviewer", "审核员", sort=2)
role_declare("approver", "审批员", sort=3)
role_declare("finance", "财务", sort=4)
role_declare("leader", "领导", sort=5)
role_declare("admin", "系统管理员", sort=6, permissions=["accounts.manage"])

import json

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client

from minzheng.foundation.accounts.models import User
from minzheng.foundation.accounts.scoping import user_prefixes
from minzheng.foundation.regions.prefixes import prefix_upper
from tests.conftest import ANYANG, PASSWORD


@pytest.mark.django_db
def test_users_create_cli_with_chinese_role_and_gb_code(regions, capsys, settings):
    call_command("users", "create", "--username", "zhang", "--password", "Abcdef12!", "--role", "审核员", "--region", "330381",
                 "--role", "acceptor", "--region", ANYANG)  # fmt: skip
    out = json.loads(capsys.readouterr().out)
    assert sorted(out["grants"]) == ["330381", "330381001"]
    user = User.objects.get(username="zhang")
    assert user.check_password("Abcdef12!")
    assert user_prefixes(user, "registry.view") == ["330381"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--role", "厨师", "--region", "330381"], "未知角色"),
        (["--role", "acceptor", "--region", "999999"], "找不到区划"),
    ],
)
def test_users_create_cli_refusals(regions, args, message):
    with pytest.raises(CommandError, match=message):
        call_command("users", "create", "--username", "x", "--password", "Abcdef12!", *args)
    assert not User.objects.filter(username="x").exists()


@pytest.mark.django_db
@pytest.mark.parametrize("password", ["Ab1!", "abcdefgh1", "abcdefghij"])
def test_password_policy(regions, password, settings):
    settings.AUTH_PASSWORD_VALIDATORS = [*settings.AUTH_PASSWORD_VALIDATORS]
    with pytest.raises(CommandError):
        call_command(
            "users", "create", "--username", "x", "--password", password, "--role", "acceptor", "--region", ANYANG
        )


def test_session_policy():
    assert settings.SESSION_COOKIE_AGE == 1800 and settings.SESSION_SAVE_EVERY_REQUEST
    assert settings.AXES_FAILURE_LIMIT == 5


@pytest.mark.django_db
def test_login_locks_after_five_failures(anyang_user):
    c = Client()
    for _ in range(5):
        r = c.post("/login/", {"username": "anyang", "password": "nope"})
    r = c.post("/login/", {"username": "anyang", "password": PASSWORD})
    assert r.status_code == 429 and "锁定" in r.content.decode()


@pytest.mark.django_db
def test_login_wrong_password_message(anyang_user):
    r = Client().post("/login/", {"username": "anyang", "password": "nope"})
    assert r.status_code == 200 and "用户名或密码错误" in r.content.decode()


def test_prefix_upper():
    assert prefix_upper("330381") == "330382"
    assert prefix_upper("3303819") == "3303820"
    assert prefix_upper("99") is None
    assert prefix_upper("abc") == "abd"  # a mistyped filter matches nothing rather than failing


@pytest.mark.django_db
def test_mistyped_region_filter_is_an_empty_list_not_an_error(household_in, anyang_user, client):
    client.force_login(anyang_user)
    for url in ("/households/?region=abc", "/persons/?region=abc", "/api/v1/persons?region=3303x"):
        r = client.get(url)
        assert r.status_code in (200, 401), (url, r.status_code)


@pytest.mark.django_db
def test_admin_changes_are_audited(regions, django_user_model):
    from minzheng.foundation.audit.models import AuditEvent
    from minzheng.foundation.audit.services import audit_verify

    root = django_user_model.objects.create_superuser("root", password=PASSWORD)
    c = Client()
    c.force_login(root)
    role = "/admin/accounts/role/leader/change/"
    r = c.post(role, {"code": "leader", "name": "领导", "permissions": '["registry.view"]', "sort": 5})
    assert r.status_code == 302
    ev = AuditEvent.objects.get(object_type="accounts.role", action="update")
    assert ev.channel == "admin" and ev.actor_name == "root"
    assert ev.changes["permissions"][1] == "['registry.view']"
    assert c.post("/admin/audit/auditevent/1/delete/", {"post": "yes"}).status_code == 403
    assert audit_verify().ok


@pytest.mark.django_db
def test_job_region_is_one_rule_for_every_job_a_user_starts(make_user):
    """Which region a job runs on (batch verification, monitoring …): the one asked within the grants,
    else the user's only one; refused outside them, without a grant, or unasked among several."""
    from django.core.exceptions import PermissionDenied, ValidationError

    from minzheng.foundation.accounts.scoping import job_region
    from tests.conftest import ANYANG, RUIAN, TANGXIA

    township = make_user("one", ("approver", ANYANG))
    two = make_user("two", ("approver", ANYANG), ("approver", TANGXIA))
    county = make_user("county", ("approver", RUIAN))
    run = lambda user, region="": job_region(user=user, permission="monitoring.run", region=region, doing="运行监测")  # noqa: E731
    assert run(township) == ANYANG[:9] and run(township, ANYANG[:9] + "001") == ANYANG[:9] + "001"
    assert run(county, TANGXIA[:9]) == TANGXIA[:9] and run(None, "") == ""
    with pytest.raises(PermissionDenied, match="无权在该区划运行监测"):
        run(township, TANGXIA[:9])
    with pytest.raises(ValidationError, match="请指定运行监测的区划"):
        run(two)
    with pytest.raises(ValidationError, match="区划代码须为数字"):
        run(county, "33038³")
    with pytest.raises(PermissionDenied, match="无权运行监测"):
        run(make_user("finance_only", ("finance", ANYANG)))

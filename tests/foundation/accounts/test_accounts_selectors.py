"""``users_with_permission``: the one rule for "the active users holding P over region R"."""

import pytest

from minzheng.foundation.accounts.models import Role
from minzheng.foundation.accounts.selectors import users_with_permission, users_with_permission_per_region
from tests.conftest import ANYANG, ANYANG_VILLAGE, RUIAN, TANGXIA

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(make_user):
    return {
        "county_finance": make_user("cf", ("finance", RUIAN)),
        "anyang_finance": make_user("af", ("finance", ANYANG)),
        "tangxia_finance": make_user("tf", ("finance", TANGXIA)),
        "anyang_acceptor": make_user("aa", ("acceptor", ANYANG)),
        "county_leader": make_user("cl", ("leader", RUIAN)),
    }


def names(users):
    return [u.username for u in users]


def test_over_a_region_means_a_grant_at_it_or_above(staff):
    assert names(users_with_permission("payroll.approve", ANYANG_VILLAGE)) == ["cf", "af"]
    assert names(users_with_permission("payroll.approve", RUIAN)) == ["cf"]
    assert names(users_with_permission("payroll.approve", [ANYANG, TANGXIA])) == ["cf", "af", "tf"]


def test_exactly_at_a_region_leaves_out_the_office_above(staff):
    assert names(users_with_permission("monitoring.handle", ANYANG[:9], above=False)) == ["aa"]
    assert users_with_permission_per_region("payroll.approve", [ANYANG[:9], TANGXIA[:9]], above=False) == {
        ANYANG[:9]: [staff["anyang_finance"]],
        TANGXIA[:9]: [staff["tangxia_finance"]],
    }


def test_anywhere_inactive_users_and_superusers(staff, django_user_model):
    staff["anyang_finance"].is_active = False
    staff["anyang_finance"].save()
    django_user_model.objects.create_superuser("boss", password="x")
    assert names(users_with_permission("payroll.approve")) == ["cf", "tf"]
    assert names(users_with_permission("audit.view", superusers=True)) == ["cl", "boss"]


def test_a_role_an_administrator_edits_counts_at_once(staff):
    Role.objects.filter(code="acceptor").update(permissions=["payroll.approve"])
    assert names(users_with_permission("payroll.approve", ANYANG)) == ["cf", "af", "aa"]


def test_below_takes_in_the_offices_under_a_prefix_and_holders_come_with_their_prefixes(staff):
    from minzheng.foundation.accounts.selectors import permission_holders

    assert names(users_with_permission("payroll.approve", RUIAN[:6])) == ["cf"]
    assert names(users_with_permission("payroll.approve", RUIAN[:6], below=True)) == ["cf", "af", "tf"]
    assert names(users_with_permission("payroll.approve", ANYANG[:9], below=True)) == ["cf", "af"]
    holders = permission_holders("payroll.approve", RUIAN[:6], below=True)
    assert holders == {
        staff["county_finance"].pk: ("cf", ["330381"]),
        staff["anyang_finance"].pk: ("af", [ANYANG[:9]]),
        staff["tangxia_finance"].pk: ("tf", [TANGXIA[:9]]),
    }
    staff["tangxia_finance"].is_active = False
    staff["tangxia_finance"].save()
    assert set(permission_holders("payroll.approve", RUIAN[:6], below=True)) == {
        staff["county_finance"].pk,
        staff["anyang_finance"].pk,
    }

"""Issue 14 item 9: the workbench's headers and accounts — a strict CSP, no ID number in a URL,
a password change that ends the other sessions and tokens, a locked account's tokens refused, and
reveals of full numbers throttled with one alert to the administrators."""

from __future__ import annotations

import pytest
from django.test import Client

from minzheng.foundation.accounts.models import ApiToken
from minzheng.foundation.accounts.services import token_issue

# --------------------------------------------------------------- a locked account's API tokens


def _fail_logins(username, times=5):
    c = Client()
    for _ in range(times):
        c.post("/login/", {"username": username, "password": "not-the-password"})


@pytest.mark.django_db
def test_locked_account_tokens_are_refused_with_a_chinese_message(anyang_user):
    plain = token_issue(user=anyang_user, name="script")
    api = Client(HTTP_AUTHORIZATION=f"Bearer {plain}")
    assert api.get("/api/v1/persons").status_code == 200

    _fail_logins("anyang")  # axes locks the username
    r = api.get("/api/v1/persons")
    assert r.status_code == 401
    assert "锁定" in r.json()["detail"] and "令牌" in r.json()["detail"]
    # a wrong token still gets the generic answer, no hint about accounts
    assert (
        Client().get("/api/v1/persons", HTTP_AUTHORIZATION="Bearer mz_forged").json()["detail"] == "未登录或令牌已过期"
    )


@pytest.mark.django_db
def test_locked_partner_token_is_refused_too(anyang_user):
    plain = token_issue(user=anyang_user, name="partner", scopes=["hardship:report"])
    _fail_logins("anyang")
    r = Client().post(
        "/api/v1/hardship-reports", {}, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {plain}"
    )
    assert r.status_code == 401 and "锁定" in r.json()["detail"]


@pytest.mark.django_db
def test_disabled_account_token_is_refused_with_a_reason(anyang_user):
    plain = token_issue(user=anyang_user, name="script")
    anyang_user.is_active = False
    anyang_user.save(update_fields=["is_active"])
    r = Client().get("/api/v1/persons", HTTP_AUTHORIZATION=f"Bearer {plain}")
    assert r.status_code == 401 and "停用" in r.json()["detail"]


@pytest.mark.django_db
def test_unlocked_account_tokens_work_again(anyang_user):
    from axes.utils import reset

    plain = token_issue(user=anyang_user, name="script")
    _fail_logins("anyang")
    reset(username="anyang")
    r = Client().get("/api/v1/persons", HTTP_AUTHORIZATION=f"Bearer {plain}")
    assert r.status_code == 200
    assert ApiToken.objects.get(user=anyang_user).last_used_at is not None

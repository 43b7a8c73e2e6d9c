"""``/api/v1/auth``: a user name and password for a token (认证)."""

from __future__ import annotations

from django.contrib.auth import authenticate
from ninja import Router, Status

from minzheng.foundation.accounts.services import TOKEN_HOURS, token_issue

from .routers import api_router
from .schemas import ErrorOut, TokenIn, TokenOut

router = Router(tags=["认证"])


@router.post("/token", response={200: TokenOut, 401: ErrorOut, 429: ErrorOut}, auth=None, summary="用户名密码换取令牌")
def token(request, payload: TokenIn):
    user = authenticate(request, username=payload.username, password=payload.password)
    if user is None or not user.is_active:
        return Status(401, {"detail": "用户名或密码错误"})
    return Status(200, {"token": token_issue(user=user, name="api"), "expires_in": TOKEN_HOURS * 3600})


api_router("auth", router, prefix="/auth", order=10, operation_ids="minzheng.sites.api.api")

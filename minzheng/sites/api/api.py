"""REST API ``/api/v1/``: the API object, its document and the error answers every area shares.
OpenAPI at ``/api/v1/docs``. The endpoints are in one router per area (``routers.py``: each module
of this package registers its own; this file names none)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from minzheng.foundation.accounts.reveals import RevealLimited, reveal_limits
from minzheng.foundation.validation import Refused, errors_zh

from .routers import discover

# The answers the shared handlers below give to any operation, whatever its own code returns: the
# OpenAPI document lists them on every operation they can reach, so a client (and the schemathesis
# run in the test suite) finds every status code the API answers described.
SHARED_ERRORS = {
    400: ("input", "请求体不是合法的 JSON，或参数含有空字符（NUL）"),
    401: ("security", "未登录、令牌无效或已过期"),
    403: ("security", "调用者无权办理此操作"),
    404: ("path", "找不到，或不在调用者被授权的区划内"),
    422: ("input", "请求格式或内容不正确（逐项说明见 errors）"),
}


class DocumentedAPI(NinjaAPI):
    """A NinjaAPI whose document names the shared error answers of every operation (see SHARED_ERRORS)."""

    def get_openapi_schema(self, *, path_prefix=None, path_params=None):
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        error = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorOut"}}}
        for operations in schema["paths"].values():
            for operation in operations.values():
                params = operation.get("parameters", [])
                reaches = {
                    "security": bool(operation.get("security")),
                    "path": any(p.get("in") == "path" for p in params),
                    "input": bool(params or operation.get("requestBody")),
                }
                responses = operation["responses"]
                for code, (when, text) in SHARED_ERRORS.items():
                    if reaches[when] and code not in responses:
                        responses[code] = {"description": text, "content": error}
        return schema


api = DocumentedAPI(
    title="minzheng 民政综合业务平台 API",
    version="1",
    description="所有接口按调用者被授权的区划过滤；其他区划的数据一律返回 404。证件号、电话、银行账号默认脱敏。",
    urls_namespace="api-v1",
    docs_url="/docs",
)


def _validation_message(exc: ValidationError) -> tuple[str, dict]:
    if hasattr(exc, "error_dict"):
        errors = {k: "；".join(m for e in v for m in e.messages) for k, v in exc.error_dict.items()}
        return "；".join(errors.values()), errors
    return "；".join(exc.messages), {}


@api.exception_handler(Refused)
def on_refused(request, exc):
    detail, errors = _validation_message(exc)
    return api.create_response(request, {"detail": detail, "errors": errors}, status=409)


@api.exception_handler(ValidationError)
def on_validation(request, exc):
    detail, errors = _validation_message(exc)
    return api.create_response(request, {"detail": detail, "errors": errors}, status=422)


@api.exception_handler(NinjaValidationError)
def on_schema_validation(request, exc):
    # locations start with where the value came from ("body", "query") and the parameter name
    errors = {}
    for e in exc.errors:
        loc = list(e.get("loc", []))
        drop = 2 if loc[:1] == ["body"] and len(loc) > 1 and loc[1] == "payload" else 1
        errors.update(errors_zh([{**e, "loc": loc[drop:]}]))
    detail = "；".join(f"{k}：{v}" for k, v in list(errors.items())[:5])
    return api.create_response(request, {"detail": f"请求格式不正确：{detail}", "errors": errors}, status=422)


@api.exception_handler(PermissionDenied)
def on_denied(request, exc):
    return api.create_response(request, {"detail": str(exc) or "无权办理此操作"}, status=403)


@api.exception_handler(RevealLimited)
def on_reveal_limited(request, exc):
    # MINZHENG_REVEAL_LIMIT full numbers in MINZHENG_REVEAL_WINDOW_MINUTES: the administrators are told
    response = api.create_response(request, {"detail": str(exc)}, status=429)
    response["Retry-After"] = str(reveal_limits()[1] * 60)
    return response


@api.exception_handler(Http404)
def on_not_found(request, exc):
    return api.create_response(request, {"detail": str(exc) or "找不到"}, status=404)


# ninja's own HTTP errors, in Chinese (an unparsable body, a throttle); AuthenticationError below
HTTP_ERRORS_ZH = {400: "请求体不是合法的 JSON，无法解析", 429: "请求过于频繁，请稍后再试"}


@api.exception_handler(HttpError)
def on_http_error(request, exc):
    detail = HTTP_ERRORS_ZH.get(exc.status_code, str(exc))
    return api.create_response(request, {"detail": detail}, status=exc.status_code)


@api.exception_handler(AuthenticationError)
def on_auth(request, exc):
    # a locked or disabled account's token says so (auth.TokenRefused); anything else stays generic
    detail = getattr(exc, "detail", "") or "未登录或令牌已过期"
    return api.create_response(request, {"detail": detail}, status=401)


# every area of the API registers its router (routers.py); mounted here in their order
for area in discover():
    api.add_router(area.prefix, area.router)

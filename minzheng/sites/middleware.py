"""Middleware shared by the three faces (workbench, portal, API)."""

from __future__ import annotations

from django.http import HttpResponseBadRequest, JsonResponse

NUL_REFUSED = "请求中含有空字符（NUL，\\x00），无法处理：请删除后重新提交"


def _carries_nul(request) -> bool:
    if any("\x00" in key or any("\x00" in v for v in values) for key, values in request.GET.lists()):
        return True
    if request.method not in ("POST", "PUT", "PATCH"):
        return False
    if request.content_type == "application/json":
        # a JSON string may spell it as an escape; the raw byte cannot be valid JSON anyway
        return b"\\u0000" in request.body or b"\x00" in request.body
    if request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        return any("\x00" in key or any("\x00" in v for v in values) for key, values in request.POST.lists())
    return False


class RefuseNulMiddleware:
    """A request with a NUL character in a parameter or field is refused (400) before any view.

    No one means NUL, and PostgreSQL cannot store or even compare it in text: a search for it was a
    server error there and an empty result on SQLite. Other control characters are cleaned where text
    is kept (forms, imports) and where it leaves (exports)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if _carries_nul(request):
            if request.path.startswith("/api/"):
                return JsonResponse({"detail": NUL_REFUSED}, status=400, json_dumps_params={"ensure_ascii": False})
            return HttpResponseBadRequest(NUL_REFUSED, content_type="text/plain; charset=utf-8")
        return self.get_response(request)

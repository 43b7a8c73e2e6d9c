from .context import _current, actor_for_user


def client_ip(request) -> str:
    # Behind nginx the real address arrives in X-Forwarded-For (first hop); trust it only there.
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    return (forwarded.split(",")[0].strip() if forwarded else request.META.get("REMOTE_ADDR", "")) or ""


class RequestContextMiddleware:
    """Binds the acting user and client IP for audit records made during the request."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        channel = "admin" if request.path.startswith("/admin/") else "web"
        token = _current.set(actor_for_user(getattr(request, "user", None), ip=client_ip(request), channel=channel))
        try:
            return self.get_response(request)
        finally:
            _current.reset(token)

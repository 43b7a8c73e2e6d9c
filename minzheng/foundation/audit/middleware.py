"""The request's actor and client address for audit records, and :func:`client_ip`, the one
place that decides a request's client address (audit rows, the login lockout, every per-IP limit).
See ADR 0013."""

from __future__ import annotations

import functools
import ipaddress

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from .context import _current, actor_for_user

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
MAX_HOPS = 20  # a longer X-Forwarded-For is read from the right this far at most


def parse_ip(value: str) -> IPAddress | None:
    """The address in ``value`` (spaces, an IPv4 port ``1.2.3.4:80`` and the ``[v6]:port`` form
    allowed; an IPv4-mapped IPv6 address as its IPv4 address), or None when it is not one."""
    value = (value or "").strip()
    if value.startswith("[") and "]" in value:
        value = value[1 : value.index("]")]
    elif value.count(":") == 1:
        value = value.split(":", 1)[0]
    if not value or len(value) > 45:
        return None
    try:
        ip = ipaddress.ip_address(value)
    except ValueError:
        return None
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    return ip


@functools.lru_cache(maxsize=8)
def _networks(entries: tuple[str, ...]) -> tuple[IPNetwork, ...]:
    out = []
    for entry in entries:
        try:
            out.append(ipaddress.ip_network(entry.strip(), strict=False))
        except ValueError:
            raise ImproperlyConfigured(
                f"TRUSTED_PROXIES: “{entry}” 不是 IP 地址或网段（应为逗号分隔的 IP 或 CIDR，如 10.0.0.2,10.1.0.0/24）"
            ) from None
    return tuple(out)


def trusted_proxies() -> tuple[IPNetwork, ...]:
    """``settings.TRUSTED_PROXIES`` parsed (a wrong entry is an ImproperlyConfigured)."""
    return _networks(tuple(getattr(settings, "TRUSTED_PROXIES", ()) or ()))


def _trusted(ip: IPAddress, networks) -> bool:
    return any(ip.version == n.version and ip in n for n in networks)


def client_ip(request) -> str:
    """The client's address: ``REMOTE_ADDR``, unless the connection comes from a trusted proxy
    (``TRUSTED_PROXIES``); then ``X-Forwarded-For`` is read from the right — each trusted proxy
    appended the address it saw — and the first address that is not a trusted proxy is the
    client's. Everything left of it was written by the client and is never read. A hop that is
    not an IP address falls back to ``REMOTE_ADDR``; when every hop is a trusted proxy, the
    left-most is the client (an office behind the same proxy). "" when there is no address."""
    remote = parse_ip(request.META.get("REMOTE_ADDR", ""))
    if remote is None:
        return ""
    networks = trusted_proxies()
    if not networks or not _trusted(remote, networks):
        return str(remote)
    hops = [h for h in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")][-MAX_HOPS:]
    client = remote
    for hop in reversed(hops):
        ip = parse_ip(hop)
        if ip is None:
            return str(remote)
        client = ip
        if not _trusted(ip, networks):
            break
    return str(client)


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

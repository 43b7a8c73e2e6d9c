"""Issue 14 item 1: the client address. ``X-Forwarded-For`` counts only when the connection comes
from a proxy listed in ``TRUSTED_PROXIES`` (default: none), and then the right-most address that
is not a trusted proxy is the client's. Audit rows, the login lockout's records and every per-IP
limit use that one address, so rotating the header buys a client nothing."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured
from django.test import Client, RequestFactory

from minzheng.engines.monitoring.models import HardshipReport
from minzheng.foundation.audit.middleware import client_ip
from minzheng.foundation.audit.models import AuditEvent
from tests.conftest import ANYANG, ANYANG_VILLAGE, PASSWORD

PROXY = "10.0.0.2"


def _ip(xff=None, remote="127.0.0.1"):
    meta = {"REMOTE_ADDR": remote}
    if xff is not None:
        meta["HTTP_X_FORWARDED_FOR"] = xff
    return client_ip(RequestFactory().get("/", **meta))


def test_forwarded_for_is_ignored_without_trusted_proxies(settings):
    settings.TRUSTED_PROXIES = []
    assert _ip("203.0.113.9") == "127.0.0.1"
    assert _ip("203.0.113.9, 198.51.100.1", remote="192.0.2.5") == "192.0.2.5"
    assert _ip(None, remote="192.0.2.5") == "192.0.2.5"


def test_forwarded_for_from_a_proxy_not_listed_is_ignored(settings):
    settings.TRUSTED_PROXIES = [PROXY]
    assert _ip("203.0.113.9", remote="192.0.2.5") == "192.0.2.5"


def test_right_most_untrusted_address_of_a_trusted_chain(settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/24", "172.16.5.1"]
    # the client wrote the left part; our proxies appended the rest
    assert _ip("1.2.3.4, 198.51.100.7", remote=PROXY) == "198.51.100.7"
    assert _ip("1.2.3.4, 198.51.100.7, 172.16.5.1", remote=PROXY) == "198.51.100.7"
    assert _ip("198.51.100.7", remote=PROXY) == "198.51.100.7"
    # IPv6, with spaces and an IPv4 with a port, as some proxies write it
    assert _ip(" 2001:db8::1 ", remote=PROXY) == "2001:db8::1"
    assert _ip("198.51.100.7:5123", remote=PROXY) == "198.51.100.7"
    assert _ip("[2001:db8::1]:443", remote=PROXY) == "2001:db8::1"
    # every hop is one of ours (an office behind the same proxy): the first of them is the client
    assert _ip("10.0.0.9, 172.16.5.1", remote=PROXY) == "10.0.0.9"


def test_garbage_falls_back_to_the_connecting_address(settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/24"]
    for junk in ("", "unknown", "<script>", "1.2.3.4.5", "³", "10.0.0.9, not-an-ip", "x" * 500):
        assert _ip(junk, remote=PROXY) == PROXY, junk
    # garbage left of the right-most untrusted address is never read
    assert _ip("<script>, 198.51.100.7", remote=PROXY) == "198.51.100.7"


def test_a_wrong_setting_is_refused(settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/33"]
    with pytest.raises(ImproperlyConfigured, match="TRUSTED_PROXIES"):
        _ip("1.2.3.4", remote=PROXY)


def test_the_login_lockout_records_the_same_address(anyang_user, settings):
    from axes.helpers import get_client_ip_address
    from axes.models import AccessAttempt

    settings.TRUSTED_PROXIES = []
    request = RequestFactory().get("/", REMOTE_ADDR="192.0.2.5", HTTP_X_FORWARDED_FOR="203.0.113.9")
    assert get_client_ip_address(request) == "192.0.2.5"
    Client(REMOTE_ADDR="192.0.2.5").post("/login/", {"username": "anyang", "password": PASSWORD + "x"},
                                         HTTP_X_FORWARDED_FOR="203.0.113.9")  # fmt: skip
    assert list(AccessAttempt.objects.values_list("ip_address", flat=True)) == ["192.0.2.5"]
    # behind a trusted proxy the lockout's records name the client, not the proxy
    settings.TRUSTED_PROXIES = [PROXY]
    request = RequestFactory().get("/", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="203.0.113.9, 198.51.100.7")
    assert get_client_ip_address(request) == "198.51.100.7"


def _report(client, **headers):
    data = {"township": ANYANG, "village": ANYANG_VILLAGE, "description": "独居老人", "for_self": "0", "send": "1"}
    return client.post("/portal/report/", data, **headers)


@pytest.mark.django_db
def test_rotating_forwarded_for_does_not_escape_the_per_address_limit(regions, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.TRUSTED_PROXIES = []
    cache.clear()
    c = Client()
    codes = [_report(c, HTTP_X_FORWARDED_FOR=f"203.0.113.{i}").status_code for i in range(6)]
    assert codes == [302] * 5 + [429]
    assert set(AuditEvent.objects.filter(object_type="monitoring.hardshipreport").values_list("ip", flat=True)) == {
        "127.0.0.1"
    }


@pytest.mark.django_db
def test_behind_a_trusted_proxy_the_client_cannot_rotate_its_way_out(regions, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.TRUSTED_PROXIES = [PROXY]
    cache.clear()
    proxied = Client(REMOTE_ADDR=PROXY)
    # the client forges the left part, the proxy appends the address it saw
    codes = [_report(proxied, HTTP_X_FORWARDED_FOR=f"203.0.113.{i}, 198.51.100.7").status_code for i in range(6)]
    assert codes == [302] * 5 + [429]
    # another client behind the same proxy is not held up
    assert _report(proxied, HTTP_X_FORWARDED_FOR="198.51.100.8").status_code == 302
    ips = AuditEvent.objects.filter(object_type="monitoring.hardshipreport").values_list("ip", flat=True)
    assert sorted(set(ips)) == ["198.51.100.7", "198.51.100.8"]
    assert HardshipReport.objects.count() == 6

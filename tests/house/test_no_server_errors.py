"""No input gives a server error on a page: every workbench and portal page without path parameters is
requested with hostile values in every query and form parameter the sites read (superscript digits
that ``str.isdigit`` accepts and ``int`` refuses, numbers past 64 bits, control characters, formula
prefixes, path tricks). The API is fuzzed against its OpenAPI document in ``test_api_fuzz``."""

import re
from pathlib import Path

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from tests.conftest import RUIAN

SITES = Path(__file__).resolve().parents[2] / "minzheng" / "sites"
HOSTILE = ["³", "9" * 30, "\x00\x07\x1b", "=1+1/../../etc/passwd", "%", "330381001001³"]


def _param_names() -> set[str]:
    """Every parameter name the sites read from GET or POST, found in their source."""
    names = set()
    pattern = re.compile(r"request\.(?:GET|POST)(?:\.get|\.getlist|\.__getitem__)?\(?\[?\"([A-Za-z_][\w]*)\"")
    for path in SITES.rglob("*.py"):
        names.update(pattern.findall(path.read_text(encoding="utf-8")))
    for path in SITES.rglob("*.html"):
        names.update(re.findall(r'name="([A-Za-z_][\w]*)"', path.read_text(encoding="utf-8")))
    return names - {"csrfmiddlewaretoken"}


def _pages(patterns=None, prefix="") -> list[str]:
    """The routes without converters, under the workbench and the portal (the API has its own fuzzer)."""
    out = []
    for p in get_resolver().url_patterns if patterns is None else patterns:
        route = str(p.pattern)
        if "<" in route or "(" in route or route.startswith("^"):
            continue
        if isinstance(p, URLResolver):
            out += _pages(p.url_patterns, prefix + route)
        elif isinstance(p, URLPattern):
            out.append("/" + prefix + route)
    return sorted({u for u in out if not u.startswith(("/api/", "/admin/", "/static/", "/media/"))})


@pytest.fixture
def staff(make_user, household_in):
    user = make_user(
        "everyone",
        *[(role, RUIAN) for role in ("acceptor", "investigator", "reviewer", "approver", "finance", "admin")],
    )
    c = Client(raise_request_exception=False)
    c.force_login(user)
    return c


@pytest.mark.django_db
def test_hostile_parameters_never_give_a_server_error(staff):
    names = sorted(_param_names())
    pages = _pages()
    assert len(pages) > 30 and {"q", "region", "page", "year"} <= set(names)
    citizen = Client(raise_request_exception=False)  # not signed in: the portal's public pages
    errors = []
    for value in HOSTILE:
        params = dict.fromkeys(names, value)
        for url in pages:
            for client in (staff, citizen) if url.startswith("/portal/") else (staff,):
                for method in ("get", "post"):
                    r = getattr(client, method)(url, params)
                    if r.status_code >= 500:
                        errors.append(f"{method.upper()} {url} {value!r}: {r.status_code}")
    assert not errors, "\n".join(errors[:50])


@pytest.mark.django_db
def test_a_nul_character_is_refused_before_any_view(staff, anyang_user):
    """PostgreSQL cannot compare text with NUL: a search for it was a server error there."""
    from minzheng.foundation.accounts.services import token_issue

    r = staff.get("/persons/", {"q": "王\x00"})
    assert r.status_code == 400 and "空字符" in r.content.decode()
    api = Client(headers={"authorization": f"Bearer {token_issue(user=anyang_user)}"})
    r = api.get("/api/v1/persons", {"q": "\x00"})
    assert r.status_code == 400 and "空字符" in r.json()["detail"]
    r = api.post("/api/v1/persons", {"name": "王\u0000"}, content_type="application/json")
    assert r.status_code == 400
    assert staff.get("/persons/", {"q": "王"}).status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize("method, url", [("post", "/api/v1/persons/search"), ("patch", "/api/v1/persons/{p}"),
                                         ("patch", "/api/v1/households/{h}")])  # fmt: skip
def test_a_body_that_is_not_an_object_is_refused(method, url, household_in, anyang_user):
    """Found by the fuzzer: with every field optional, ``-23248`` as the body was taken for ``{}``."""
    from minzheng.foundation.accounts.services import token_issue

    household, head, _ = household_in
    api = Client(headers={"authorization": f"Bearer {token_issue(user=anyang_user)}"})
    url = url.format(p=head.pk, h=household.pk)
    for body in ("-23248", "[1]", '"王"'):
        r = getattr(api, method)(url, body, content_type="application/json")
        assert r.status_code == 422 and "JSON 对象" in r.json()["detail"], (body, r.content)
    assert getattr(api, method)(url, "{}", content_type="application/json").status_code == 200

"""Searches that may carry an ID number never put it in a URL (issue 14, item 9).

A search box (persons, households, 保障对象, the household picker of 登记申请 and 发起核对, 测算's
household search) posts to ``/search/`` (``search_post``) with ``next``, the page that lists the
results. Text that looks like a personal number — a run of 8 or more digits (an ID number from
its birth date on, whole or typed in part, a phone, an account) — is kept in the session under a
one-way token, ``salted_hmac(SECRET_KEY, user, text)`` cut to 24 hex characters, and the browser is
sent (303) to ``next?s=<token>&…``; other text (a name, initials, an address) stays readable as
``?q=``. So the address bar, the history, the server's and proxies' access logs, the ``Referer``
and the pager and export links hold the token only.

Back and forward, reload and pagination work: the token URL is an ordinary GET, the same text
gives the same token (the history entry stays valid), and the session keeps the last
``KEEP`` searches. A token from another user or an ended session finds nothing to restore and the
page says so. A GET that still carries such text in ``q`` (an old bookmark, a typed URL) is
redirected to its token URL at once (``hides_id_numbers``), so it goes no further than that one
request line.

htmx live search posts the same way: the browser's XHR follows the 303 with the ``HX-Request``
header, the view answers with the rows, and ``hx-push-url="true"`` pushes the token URL.
"""

from __future__ import annotations

import functools
import re
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponseBadRequest, HttpResponseRedirect
from django.utils.crypto import salted_hmac
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

SESSION_KEY = "workbench_searches"
KEEP = 50
PERSONAL_NUMBER = re.compile(r"\d{8,}")
SALT = "minzheng.workbench.search"
EXPIRED = "查询条件已过期（登录会话结束后不保留），请重新输入。"


def looks_personal(text: str) -> bool:
    """An ID number (whole or from its birth date on), a phone or an account number."""
    return bool(PERSONAL_NUMBER.search(text or ""))


def search_token(request, text: str) -> str:
    """The one-way token of ``text`` for this user, remembered in the session (latest ``KEEP``)."""
    token = salted_hmac(SALT, f"{request.user.pk}:{text}", algorithm="sha256").hexdigest()[:24]
    saved = dict(request.session.get(SESSION_KEY) or {})
    saved.pop(token, None)
    saved[token] = text
    while len(saved) > KEEP:
        saved.pop(next(iter(saved)))
    request.session[SESSION_KEY] = saved
    return token


def search_params(request, text: str, params: dict) -> dict:
    """``params`` with the search text as ``q`` (readable) or ``s`` (a token), empty ones dropped."""
    out = {k: v for k, v in params.items() if v not in ("", None) and k not in ("q", "s", "page")}
    text = (text or "").strip()
    if text:
        if looks_personal(text):
            out["s"] = search_token(request, text)
        else:
            out["q"] = text
    return out


def search_text(request) -> str:
    """The search text of a GET: from the token ``s`` this session made, else ``q``."""
    token = request.GET.get("s", "")
    if token:
        text = (request.session.get(SESSION_KEY) or {}).get(token)
        if text is None:
            if not request.headers.get("HX-Request"):
                messages.warning(request, EXPIRED)
            return ""
        return text
    return request.GET.get("q", "").strip()


def search_query(request, **extra) -> str:
    """The current GET's query string without ``page`` and ``export`` (for pager and export links)."""
    params = request.GET.copy()
    for key in ("page", "export"):
        params.pop(key, None)
    for key, value in extra.items():
        params[key] = value
    return params.urlencode()


class _SeeOther(HttpResponseRedirect):
    status_code = 303


def hides_id_numbers(view):
    """A GET whose ``q`` looks like a personal number is sent to the same page with a token."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        text = request.GET.get("q", "").strip()
        if request.method == "GET" and looks_personal(text) and request.user.is_authenticated:
            params = search_params(request, text, {k: v for k, v in request.GET.items() if k != "q"})
            return _SeeOther(f"{request.path}?{urlencode(params)}")
        return view(request, *args, **kwargs)

    return wrapper


@login_required
@require_POST
def search_post(request):
    """A search form's POST: on to ``next`` with the text as ``q`` or as a token ``s``."""
    target = request.POST.get("next", "")
    if not (target.startswith("/") and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()})):
        return HttpResponseBadRequest("查询地址不正确")
    target = target.split("?", 1)[0]
    fields = {k: v for k, v in request.POST.items() if k not in ("csrfmiddlewaretoken", "next")}
    params = search_params(request, fields.get("q", ""), fields)
    return _SeeOther(f"{target}?{urlencode(params)}" if params else target)

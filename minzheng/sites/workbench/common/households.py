"""Choosing the household a registration page works on."""

from __future__ import annotations

from django.http import Http404

from minzheng.foundation.registry import selectors as registry_selectors
from minzheng.foundation.validation import is_digits

from .search import search_text


def household_pick(request, user):
    """The household a registration page works on (``household`` in the form or the query, in the
    user's regions, else 404) or, before one is chosen, the first households matching ``q``:
    ``(household | None, q, results | None)``."""
    hid = (request.POST.get("household") or request.GET.get("household") or "").strip()
    household = None
    if hid:
        if not is_digits(hid):
            raise Http404("找不到该家庭")
        household = registry_selectors.household_get(user=user, pk=int(hid))
    q = search_text(request)[:50]
    results = list(registry_selectors.household_search(user=user, q=q)[:20]) if household is None and q else None
    return household, q, results

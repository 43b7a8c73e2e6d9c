"""Paging and the filter part of a list page's links; the limits of a list export."""

from __future__ import annotations

from urllib.parse import urlencode

from django.core.paginator import Paginator

PAGE_SIZE = 50
EXPORT_LIMIT = 100_000
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def paged(request, qs, size: int = PAGE_SIZE):
    """The page of ``qs`` the query string asks for (``page``)."""
    return Paginator(qs, size).get_page(request.GET.get("page"))


def query_params(request, *keys) -> str:
    """The filter part of the query string (for pager links), without ``page``."""
    return urlencode({k: request.GET[k] for k in keys if request.GET.get(k)})

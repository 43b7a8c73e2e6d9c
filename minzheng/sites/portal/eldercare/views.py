"""The care home's pages of the institution site (机构端, ``portal.institution``): called with the
signed-in account and its own home only — every row is read through that home."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone

from minzheng.business.eldercare import selectors, services
from minzheng.engines.supervision.kinds import KINDS
from minzheng.foundation.validation import Refused

from ..institution import pages_for


def _context(account, supervised, **extra) -> dict:
    kind = KINDS.get(supervised.kind)
    return {"account": account, "s": supervised, "entity": supervised.entity,
            "kind_label": kind.label if kind else supervised.kind, "pages": pages_for(supervised.kind), **extra}  # fmt: skip


def _messages(exc: Exception) -> list[str]:
    if isinstance(exc, ValidationError):
        return list(exc.messages)
    return [str(exc)]


def prepaid(request, account, supervised, subpath):
    """预付费余额: the home reports, per current resident, the prepaid service fees it holds and the
    deposit (``eldercare.services.prepaid_report``, through the institution: no staff user); its
    earlier reports with their lines and any breach of the limits."""
    if subpath:
        raise Http404("页面不存在")
    current = list(selectors.residents(supervised))
    rows = [{"a": a, "fee": a.monthly_fee, "prepaid": "", "deposit": ""} for a in current]
    errors, as_of, status = [], timezone.localdate().isoformat(), 200
    if request.method == "POST":
        as_of = (request.POST.get("as_of") or "").strip()[:10]
        lines = []
        for r in rows:
            pk = r["a"].pk
            r["fee"] = (request.POST.get(f"fee-{pk}") or "").strip()[:20]
            r["prepaid"] = (request.POST.get(f"prepaid-{pk}") or "").strip()[:20]
            r["deposit"] = (request.POST.get(f"deposit-{pk}") or "").strip()[:20]
            if r["prepaid"] or r["deposit"]:
                lines.append({"admission": r["a"], "monthly_fee": r["fee"] or r["a"].monthly_fee,
                              "prepaid_balance": r["prepaid"], "deposit": r["deposit"]})  # fmt: skip
        try:
            report = services.prepaid_report(user=None, supervised=supervised, lines=lines, as_of=as_of or None)
        except (ValidationError, Refused, PermissionDenied) as exc:
            errors, status = _messages(exc), 400
        else:
            url = reverse("portal:inst_page", args=["eldercare_prepaid"])
            return redirect(f"{url}?saved={report.pk}")
    reports = selectors.prepaid_reports(supervised)[:12]
    context = _context(account, supervised, rows=rows, errors=errors, as_of=as_of, reports=reports,
                       saved=request.GET.get("saved", ""))  # fmt: skip
    return render(request, "portal/eldercare/prepaid.html", context, status=status)


def residents(request, account, supervised, subpath):
    """入住退住: the home's admissions and discharges, newest first (read-only)."""
    if subpath:
        raise Http404("页面不存在")
    qs = selectors.residents(supervised, current=False)
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    staying = selectors.residents(supervised).count()
    return render(request, "portal/eldercare/residents.html",
                  _context(account, supervised, page=page, staying=staying))  # fmt: skip

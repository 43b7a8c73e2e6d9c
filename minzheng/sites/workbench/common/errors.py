"""Service errors as a page shows them: on the form, or as the reason of a refused request."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse

from minzheng.foundation.accounts.reveals import RevealLimited
from minzheng.foundation.validation import Refused


def apply_errors(form, exc: ValidationError) -> None:
    """Put a service's ``ValidationError`` on ``form``: per field where the form has that field,
    else as a non-field error."""
    if hasattr(exc, "error_dict"):
        for field, errs in exc.error_dict.items():
            target = field if field in form.fields else None
            for e in errs:
                for m in e.messages:
                    form.add_error(target, m)
    else:
        for m in exc.messages:
            form.add_error(None, m)


def post_failed(form, exc) -> int:
    """Put a refusal or a validation error on the form; the HTTP status the page goes back with."""
    if isinstance(exc, Refused):
        form.add_error(None, "；".join(exc.messages))
        return 409
    if isinstance(exc, PermissionDenied):
        form.add_error(None, str(exc) or "您没有此项权限")
        return 403
    apply_errors(form, exc)
    return 422


def reveal_refused(exc: RevealLimited) -> HttpResponse:
    """429 with the reason as plain text; workbench.js shows it in the page's alert area."""
    return HttpResponse(str(exc), status=429, content_type="text/plain; charset=utf-8")

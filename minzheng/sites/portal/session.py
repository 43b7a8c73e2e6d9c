"""The signed-in citizen of a portal request (a session key of its own, never a staff login)."""

from __future__ import annotations

from functools import wraps
from urllib.parse import urlencode

from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone

from minzheng.engines.supervision.institutions import account_get, institution_actor
from minzheng.foundation.audit.context import Actor, _current
from minzheng.foundation.audit.middleware import client_ip

from .models import Citizen

SESSION_KEY = "portal_citizen"
INSTITUTION_KEY = "portal_institution"  # an institution account (机构端): never a citizen, never staff


def citizen_of(request) -> Citizen | None:
    """The citizen signed in on this request, cached on it; None when nobody is."""
    if not hasattr(request, "_citizen"):
        pk = request.session.get(SESSION_KEY)
        request._citizen = Citizen.objects.select_related("person").filter(pk=pk).first() if pk else None
        if request._citizen is not None:
            # audit records made during this request name the citizen, channel portal
            name = f"群众 {request._citizen.name or request._citizen.phone_masked}"
            _current.set(Actor(None, name, client_ip(request), "portal"))
    return request._citizen


def citizen_login(request, citizen: Citizen) -> None:
    request.session.cycle_key()  # a new session id at sign-in (no fixation)
    request.session.pop(INSTITUTION_KEY, None)  # one kind of sign-in per session
    request.session[SESSION_KEY] = citizen.pk
    request._citizen = citizen
    Citizen.objects.filter(pk=citizen.pk).update(last_login_at=timezone.now())


def citizen_logout(request) -> None:
    request.session.flush()
    request._citizen = None


def citizen_required(view):
    """Send a visitor who is not signed in to the sign-in page, and back here afterwards."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if citizen_of(request) is None:
            return redirect(f"{reverse('portal:login')}?{urlencode({'next': request.get_full_path()})}")
        return view(request, *args, **kwargs)

    return wrapped


# -- institution accounts (机构端) -----------------------------------------------------------------


def institution_of(request):
    """The institution account signed in on this request (its own session key; a citizen's session
    is none), cached on it; None when nobody is. Audit records of the request name the account."""
    if not hasattr(request, "_institution"):
        pk = request.session.get(INSTITUTION_KEY)
        request._institution = account_get(pk) if pk else None
        if request._institution is not None:
            _current.set(institution_actor(request._institution, client_ip(request)))
    return request._institution


def institution_login(request, account) -> None:
    request.session.cycle_key()
    request.session.pop(SESSION_KEY, None)  # a citizen signed in on this browser is signed out
    request._citizen = None
    request.session[INSTITUTION_KEY] = account.pk
    request._institution = account


def institution_required(view):
    """Send a visitor without an institution session to the institution sign-in page."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if institution_of(request) is None:
            return redirect(f"{reverse('portal:inst_login')}?{urlencode({'next': request.get_full_path()})}")
        return view(request, *args, **kwargs)

    return wrapped

"""Which jobs a user may see: scoped by region like every other list (ADR 0001)."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from minzheng.foundation.accounts.scoping import ALL, user_prefixes
from minzheng.foundation.regions.prefixes import prefix_q

from .models import JobRun


def jobs_for_user(user) -> QuerySet[JobRun]:
    """The user's own jobs, and the jobs filed under the regions where the user holds
    ``jobs.manage`` (all for a superuser). A job without a region (a system job of the whole
    installation, e.g. the nightly runs) is seen by superusers only."""
    qs = JobRun.objects.all()
    if user is None or not user.is_authenticated:
        return qs.none()
    prefixes = user_prefixes(user, "jobs.manage")
    if prefixes is ALL:
        return qs
    visible = Q(created_by=user)
    if prefixes:
        visible |= prefix_q("region_code", prefixes) & ~Q(region_code="")
    return qs.filter(visible)

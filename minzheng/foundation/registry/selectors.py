"""Scoped reads of the registry. Another region's row is simply not found (404, never 403)."""

from __future__ import annotations

import re

from django.db.models import Prefetch, Q
from django.http import Http404

from minzheng.foundation.regions.prefixes import prefix_q
from minzheng.foundation.regions.selectors import region_prefix
from minzheng.foundation.validation import is_digits

from .models import Household, Membership, Person, PersonNameGram
from .normalise import id_index

ID_LIKE = re.compile(r"^\d{17}[\dXx]$")
INITIALS = re.compile(r"^[A-Za-z]{1,10}$")


def person_search(*, user, q: str = "", region: str = "", include_dead: bool = True):
    """Exact ID number (blind index), pinyin initials (``zs`` → 张三), or name / part of a name.

    The encrypted columns are deferred: results show masked forms and never decrypt."""
    qs = Person.objects.for_user(user, "registry.view").defer("id_number", "phone")
    q = (q or "").strip()
    if region:
        qs = qs.filter(prefix_q("region_code", [region_prefix(region)]))
    if not include_dead:
        qs = qs.filter(death_date__isnull=True)
    if q:
        if ID_LIKE.match(q):
            qs = qs.filter(id_number_index=id_index(q))
        elif INITIALS.match(q):
            # Ordered along (name_initials, region_code): the index supplies the order, so the
            # query stops at the first page instead of sorting every match (both engines).
            return qs.filter(initials_range("name_initials", q)).order_by("name_initials", "region_code", "name", "id")
        else:
            qs = qs.filter(id__in=_gram_candidates(user, q, region), name__contains=q.strip())
    return qs.order_by("region_code", "name", "id")


def _gram_candidates(user, q: str, region: str):
    """Persons whose name holds the first gram of ``q`` (a pair when q has two characters or
    more), within the user's regions: an index range scan on (gram, region_code)."""
    parts = [p for p in re.split(r"[\s·•.]+", q) if p]
    longest = max(parts, key=len) if parts else q
    gram = longest[:2]
    qs = PersonNameGram.objects.for_user(user, "registry.view").filter(gram=gram)
    if region:
        qs = qs.filter(prefix_q("region_code", [region_prefix(region)]))
    return qs.values("person_id")


def initials_range(field: str, q: str) -> Q:
    """``field`` starts with the lower-case letters ``q``, as a range (an index scan on SQLite too,
    where LIKE with ESCAPE never uses an index): 'zs' → ['zs', 'zt'), 'az' → ['az', 'b')."""
    q = q.lower()
    stem = q.rstrip("z")
    condition = Q(**{f"{field}__gte": q})
    if stem:
        condition &= Q(**{f"{field}__lt": stem[:-1] + chr(ord(stem[-1]) + 1)})
    return condition


def person_get(*, user, pk) -> Person:
    """One person; the encrypted columns load (and decrypt) only when read, e.g. by a reveal."""
    person = Person.objects.for_user(user, "registry.view").defer("id_number", "phone").filter(pk=pk).first()
    if person is None:
        raise Http404("找不到该人员")
    return person


def person_current_household(person: Person) -> Membership | None:
    return Membership.objects.filter(person=person, valid_to__isnull=True).select_related("household").first()


def household_search(*, user, q: str = "", region: str = ""):
    qs = Household.objects.for_user(user, "registry.view").select_related("head")
    q = (q or "").strip()
    if region:
        qs = qs.filter(prefix_q("region_code", [region_prefix(region)]))
    if q:
        if ID_LIKE.match(q):
            qs = qs.filter(memberships__person__id_number_index=id_index(q), memberships__valid_to__isnull=True)
        elif is_digits(q):
            qs = qs.filter(prefix_q("number", [q]))  # a range: the number index serves it
        elif INITIALS.match(q):
            qs = qs.filter(initials_range("head__name_initials", q))
        else:
            qs = qs.filter(
                Q(head_id__in=_gram_candidates(user, q, region), head__name__contains=q) | Q(address__contains=q)
            )
    return qs.order_by("region_code", "number")


def household_get(*, user, pk) -> Household:
    current = Membership.objects.filter(valid_to__isnull=True).select_related("person").order_by("id")
    household = (
        Household.objects.for_user(user, "registry.view")
        .select_related("head")
        .prefetch_related(Prefetch("memberships", queryset=current, to_attr="current_members"))
        .filter(pk=pk)
        .first()
    )
    if household is None:
        raise Http404("找不到该家庭")
    return household


def household_history(household: Household):
    return (
        Membership.objects.filter(household=household)
        .exclude(valid_to__isnull=True)
        .select_related("person")
        .order_by("-valid_to")
    )

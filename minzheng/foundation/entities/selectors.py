"""Reads over the organisations registry, always within the user's regions (another region's
entity does not exist for the user: ``Entity.DoesNotExist``, a 404 in a site)."""

from __future__ import annotations

from django.db.models import QuerySet

from minzheng.foundation.regions.selectors import region_prefix

from .models import Entity, EntityEvent


def entities_for(user, *, permission: str = "entities.view", region: str = "", kind: str = "", status: str = "",
                 q: str = "") -> QuerySet[Entity]:  # fmt: skip
    """The entities under the regions where ``user`` holds ``permission``, filtered by a region
    (and below), kind, status and a name part or an exact code."""
    qs = Entity.objects.for_user(user, permission)
    if region:
        qs = qs.under(region_prefix(region))
    if kind:
        qs = qs.filter(kind=kind)
    if status:
        qs = qs.filter(status=status)
    q = (q or "").strip()
    if q:
        qs = qs.filter(uscc=q.upper()) if len(q) == 18 and q.isalnum() else qs.filter(name__contains=q)
    return qs.order_by("region_code", "name")


def entity_get(user, uscc: str, *, permission: str = "entities.view") -> Entity:
    """The entity with this code, if it lies within the user's regions."""
    return Entity.objects.for_user(user, permission).get(uscc=(uscc or "").strip().upper())


def entity_history(user, entity: Entity) -> QuerySet[EntityEvent]:
    """The entity's events, oldest first (the entity itself is looked up within the user's regions)."""
    entity = Entity.objects.for_user(user, "entities.view").get(pk=entity.pk)
    return EntityEvent.objects.filter(entity=entity).select_related("actor").order_by("at", "pk")

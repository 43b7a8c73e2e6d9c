from django.db import transaction

from .models import Sequence


def sequence_take(*, key: str, count: int = 1) -> int:
    """Reserve ``count`` numbers of ``key``; returns the first. Row-locked: no two callers share one."""
    with transaction.atomic():
        seq, _ = Sequence.objects.select_for_update().get_or_create(key=key)
        first = seq.last + 1
        seq.last += count
        seq.save(update_fields=["last"])
    return first

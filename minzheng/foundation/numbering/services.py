from collections.abc import Callable

from django.db import transaction

from .models import IssuedNumber, Sequence


def sequence_take(*, key: str, count: int = 1) -> int:
    """Reserve ``count`` numbers of ``key``; returns the first. Row-locked: no two callers share one."""
    with transaction.atomic():
        seq, _ = Sequence.objects.select_for_update().get_or_create(key=key)
        first = seq.last + 1
        seq.last += count
        seq.save(update_fields=["last"])
    return first


def number_issue(*, series: str, subject: str, render: Callable[[int], str]) -> str:
    """The number of ``subject`` in ``series``: the one it was given before, else the next serial of
    the series (row-locked counter), rendered by ``render`` and recorded. A document printed again
    for the same decision keeps its 文号; two documents never share one (unique series × serial)."""
    with transaction.atomic():
        # the series row lock also serialises two callers numbering the same subject at once
        seq, _ = Sequence.objects.select_for_update().get_or_create(key=series)
        known = IssuedNumber.objects.filter(subject=subject).values_list("text", flat=True).first()
        if known is not None:
            return known
        seq.last += 1
        seq.save(update_fields=["last"])
        text = render(seq.last)
        IssuedNumber.objects.create(series=series, serial=seq.last, subject=subject, text=text)
    return text

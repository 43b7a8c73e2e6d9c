"""Small helpers the supervision engine's modules of draws, gradings, lists and reports share."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.utils import timezone

from minzheng.foundation.text import clean_text


def actor(user):
    return user if user is not None and getattr(user, "pk", None) else None


def today() -> dt.date:
    return timezone.localdate()


def text(value, limit: int, *, multiline: bool = False) -> str:
    return clean_text(str(value or ""), multiline=multiline).strip()[:limit]


def day(value, field: str, label: str, *, default: dt.date | None = None, future: bool = True) -> dt.date:
    """``value`` as a date (a date or ISO text); empty → ``default`` (today if none). ``future=False``
    refuses a day after today."""
    if value is None or value == "":
        value = default or today()
    if isinstance(value, dt.datetime):
        value = value.date()
    if not isinstance(value, dt.date):
        try:
            value = dt.date.fromisoformat(str(value))
        except ValueError:
            raise ValidationError({field: f"{label}应为日期（如 2026-01-31）"}) from None
    if not future and value > today():
        raise ValidationError({field: f"{label}不能晚于今天"})
    return value


def add_years(day_: dt.date, years: int) -> dt.date:
    """The same calendar day ``years`` later (29 February → 28 February in a common year)."""
    try:
        return day_.replace(year=day_.year + years)
    except ValueError:
        return day_.replace(year=day_.year + years, day=28)


def add_months(day_: dt.date, months: int) -> dt.date:
    """The same day ``months`` later, or the month's last day when it has fewer days."""
    import calendar

    y, m = divmod(day_.month - 1 + months, 12)
    year, month = day_.year + y, m + 1
    return dt.date(year, month, min(day_.day, calendar.monthrange(year, month)[1]))


def locked(model, obj):
    return model.objects.select_for_update().get(pk=obj.pk)


def label(supervised) -> str:
    entity = supervised.entity
    return f"{entity.name}（{entity.uscc}）"

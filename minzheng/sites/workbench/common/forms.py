"""Form pieces every area uses: the user's regions as a grouped choice, a month field."""

from __future__ import annotations

import datetime as dt

from django import forms

from minzheng.foundation.accounts.scoping import ALL, user_prefixes
from minzheng.foundation.regions.models import Level, Region
from minzheng.foundation.regions.prefixes import prefix_q
from minzheng.foundation.regions.selectors import village_choices


def scope_regions(user, permission: str, *, villages: bool, limit: int = 400):
    """Grouped choices of the regions under the user's grants for ``permission``: the granted
    regions and the levels between them and the villages, then (optionally) the villages grouped by
    township. None when the user is unrestricted or the list would be too long (type a code)."""
    prefixes = user_prefixes(user, permission)
    if prefixes is ALL or not prefixes:
        return None if prefixes is ALL else []
    upper = Region.objects.filter(prefix_q("code", prefixes)).exclude(level=Level.VILLAGE).order_by("code")
    if upper.count() > limit:
        return None
    groups = [("管辖区划", [(r.code, f"{r.name}（{r.code}）") for r in upper])]
    if villages:
        more = village_choices(prefixes)
        if more is None:
            return None
        groups += more
    return groups


class RegionChoiceMixin:
    """``region_code`` as a grouped select of the user's regions, or a 12-digit code field."""

    region_permission = "benefits.view"
    region_villages = True
    region_label = "区划"

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        choices = scope_regions(user, self.region_permission, villages=self.region_villages) if user else None
        if choices:
            # a picker needs no hint about typing codes or leaving the field empty
            self.fields["region_code"] = forms.ChoiceField(label=self.region_label, choices=choices)


class MonthField(forms.CharField):
    """A month (``<input type="month">``, YYYY-MM) as the date of its first day."""

    widget = forms.TextInput(attrs={"type": "month", "placeholder": "YYYY-MM"})

    def to_python(self, value):
        value = super().to_python(value)
        if not value:
            return None
        try:
            return dt.datetime.strptime(value[:7], "%Y-%m").date()
        except ValueError:
            raise forms.ValidationError("月份格式应为 YYYY-MM（如 2026-12）") from None

    def prepare_value(self, value):
        return value.strftime("%Y-%m") if isinstance(value, dt.date) else value

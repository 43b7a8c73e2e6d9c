"""Template helpers of the benefits pages."""

from decimal import Decimal, InvalidOperation

from django import template

from minzheng.foundation.accounts.scoping import has_permission

register = template.Library()


@register.filter
def can(user, permission: str) -> bool:
    """``{% if user|can:"benefits.view" %}``: the user holds the permission somewhere."""
    return bool(user and user.is_authenticated and has_permission(user, permission))


@register.filter
def yuan(value) -> str:
    """Money for people: thousands separators and two decimals (display only, no rounding rule)."""
    if value in (None, ""):
        return ""
    try:
        return f"{Decimal(str(value)):,.2f}"
    except InvalidOperation:
        return str(value)

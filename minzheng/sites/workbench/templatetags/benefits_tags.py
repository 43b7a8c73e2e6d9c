"""Template helpers of the benefits pages."""

from django import template

from minzheng.foundation import money
from minzheng.foundation.accounts.scoping import has_permission

register = template.Library()


@register.filter
def can(user, permission: str) -> bool:
    """``{% if user|can:"benefits.view" %}``: the user holds the permission somewhere."""
    return bool(user and user.is_authenticated and has_permission(user, permission))


@register.filter
def yuan(value) -> str:
    """Money for people: ``3,540.00`` (:func:`minzheng.foundation.money.yuan`)."""
    return money.yuan(value)

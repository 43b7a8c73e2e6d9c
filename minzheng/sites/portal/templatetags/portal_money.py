"""``{{ amount|yuan }}`` on the citizens' pages: 3,540.00 (:func:`minzheng.foundation.money.yuan`)."""

from django import template

from minzheng.foundation import money

register = template.Library()


@register.filter
def yuan(value) -> str:
    return money.yuan(value)

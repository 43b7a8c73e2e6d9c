from django import template

register = template.Library()


@register.filter
def dictget(mapping, key):
    if not mapping:
        return ""
    return mapping.get(key, key)

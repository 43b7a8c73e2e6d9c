from django.conf import settings

from minzheng.foundation.accounts.scoping import has_permission

from .menu import menu_for


def workbench(request):
    user = getattr(request, "user", None)
    perms = {}
    signed_in = user is not None and user.is_authenticated
    if signed_in:
        for code in (
            "registry.change",
            "registry.import",
            "registry.export",
            "registry.reveal",
            "audit.view",
        ):
            perms[code.replace(".", "_")] = has_permission(user, code)
    return {
        "bureau_name": settings.MINZHENG_BUREAU_NAME,
        "can": perms,
        # the grouped navigation (menu.py), built only when a template shows it
        "nav": (lambda: menu_for(user, request.path)) if signed_in else (),
    }

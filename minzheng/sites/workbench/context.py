from django.conf import settings

from minzheng.foundation.accounts.scoping import has_permission


def workbench(request):
    user = getattr(request, "user", None)
    perms = {}
    if user is not None and user.is_authenticated:
        for code in (
            "registry.change",
            "registry.import",
            "registry.export",
            "registry.reveal",
            "audit.view",
        ):
            perms[code.replace(".", "_")] = has_permission(user, code)
    return {"bureau_name": settings.MINZHENG_BUREAU_NAME, "can": perms}

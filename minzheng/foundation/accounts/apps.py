from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _ensure_roles(sender, using, **kwargs):
    """Declared roles exist after every migrate and flush (new roles in code appear on upgrade)."""
    from .models import Role
    from .roles import roles_ensure

    roles_ensure(Role.objects.db_manager(using).model)


class AccountsConfig(AppConfig):
    name = "minzheng.foundation.accounts"
    label = "accounts"
    verbose_name = "用户与权限"

    def ready(self):
        from django.core import checks
        from django.utils.module_loading import autodiscover_modules

        from .checks import permissions_check

        # every app's permissions.py: the permissions it declares and the roles it declares or grants
        autodiscover_modules("permissions")
        checks.register(permissions_check, "minzheng")
        post_migrate.connect(_ensure_roles, sender=self, dispatch_uid="accounts-roles")

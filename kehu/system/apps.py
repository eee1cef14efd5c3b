from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SystemConfig(AppConfig):
    name = "kehu.system"
    label = "system"
    verbose_name = _("System")

    def ready(self) -> None:
        from kehu.core.registry import Module, register_api_routes, register_module, register_urls

        register_module(Module("system", _("System"), "bi-gear", "system:index", order=60))
        register_urls("system", "kehu.system.urls")
        register_api_routes("system", "kehu.system.api.register")

        from django.db.models.signals import post_migrate

        from . import object_types  # noqa: F401
        from .approvals.setup import install as install_approvals

        install_approvals()
        from .messaging.setup import install as install_messaging

        install_messaging()
        from .webhooks.setup import install as install_webhooks

        install_webhooks()
        from kehu.core.history import register_fact_display

        register_fact_display("roles", _role_names)
        post_migrate.connect(_install_defaults, sender=self)
        _connect_access_invalidation()


def _role_names(value):
    """The roles of a permission change, stored by name (a default role under its code): the
    names people read, in their language."""
    from .actions.roles import DEFAULT_ROLES

    def name(code):
        default = DEFAULT_ROLES.get(code) if isinstance(code, str) else None
        return str(default[0]) if default else code

    return [name(v) for v in value] if isinstance(value, list | tuple) else name(value)


def _connect_access_invalidation() -> None:
    from django.db.models.signals import m2m_changed, post_delete, post_save

    from .access import invalidate_access
    from .models import Department, RecordShare, Role, RoleDataScope, User

    for model in (Department, RecordShare, Role, RoleDataScope, User):
        post_save.connect(invalidate_access, sender=model, dispatch_uid=f"access-{model.__name__}")
        post_delete.connect(
            invalidate_access, sender=model, dispatch_uid=f"access-d-{model.__name__}"
        )
    for through in (Role.permissions.through, Role.departments.through, User.roles.through):
        m2m_changed.connect(invalidate_access, sender=through, dispatch_uid=f"access-m2m-{through}")


def _install_defaults(sender, using="default", **kwargs) -> None:
    """After every migrate: the default dictionary entries (kept if an administrator edited them)."""
    from django.contrib.contenttypes.models import ContentType

    from .params import ensure_dictionaries

    # A flush (transactional tests) empties django_content_type without clearing the cache, and
    # this handler may run before contenttypes re-creates the rows: stale ids break the audit FK.
    ContentType.objects.clear_cache()
    ensure_dictionaries()

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SystemConfig(AppConfig):
    name = "kehu.system"
    label = "system"
    verbose_name = _("System")

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from . import object_types  # noqa: F401

        post_migrate.connect(_install_defaults, sender=self)


def _install_defaults(sender, using="default", **kwargs) -> None:
    """After every migrate: the default dictionary entries (kept if an administrator edited them)."""
    from .params import ensure_dictionaries

    ensure_dictionaries()

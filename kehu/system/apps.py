from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SystemConfig(AppConfig):
    name = "kehu.system"
    label = "system"
    verbose_name = _("System")

    def ready(self) -> None:
        from . import object_types  # noqa: F401

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CustomersConfig(AppConfig):
    name = "kehu.customers"
    label = "customers"
    verbose_name = _("Customers")

    def ready(self) -> None:
        from . import dictionaries, object_types  # noqa: F401
        from .actions import imports  # noqa: F401  (importers and the vCard export)

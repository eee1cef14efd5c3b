from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CustomersConfig(AppConfig):
    name = "kehu.customers"
    label = "customers"
    verbose_name = _("Customers")

    def ready(self) -> None:
        from kehu.core.registry import Module, register_module

        register_module(
            Module("customers", _("Customers"), "bi-people", "customers:index", order=10)
        )

        # actions: registers the lifecycle signals and the handover of customers.
        from . import actions, dictionaries, object_types  # noqa: F401
        from .actions.activity import register_activity_erasure, register_activity_handover

        register_activity_handover()
        register_activity_erasure()
        from .actions import imports  # noqa: F401  (importers and the vCard export)
        from .actions.matching import best_matches

        imports.set_customer_bulk_matcher(best_matches)  # identity resolution for imports

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SalesConfig(AppConfig):
    name = "kehu.sales"
    label = "sales"
    verbose_name = _("Sales")

    def ready(self) -> None:
        from kehu.core.discover import import_submodules
        from kehu.core.registry import (
            Module,
            register_api_routes,
            register_module,
            register_urls,
        )

        register_module(Module("sales", _("Sales"), "bi-graph-up-arrow", "sales:index", order=30))
        register_urls("sales", "kehu.sales.urls")
        register_api_routes("sales", "kehu.sales.api.register")
        from . import object_types  # noqa: F401

        # Each area's own registrations (beat tasks, hooks, dashboard cards, importers):
        # a module ``kehu/sales/setup/<area>.py`` with a ``ready()`` function.
        for module in import_submodules("kehu.sales.setup"):
            module.ready()

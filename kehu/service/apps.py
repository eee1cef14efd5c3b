from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ServiceConfig(AppConfig):
    name = "kehu.service"
    label = "service"
    verbose_name = _("Service")

    def ready(self) -> None:
        from kehu.core.discover import import_submodules
        from kehu.core.registry import (
            Module,
            register_api_routes,
            register_module,
            register_urls,
        )

        register_module(Module("service", _("Service"), "bi-headset", "service:index", order=40))
        register_urls("service", "kehu.service.urls")
        register_api_routes("service", "kehu.service.api.register")
        from . import dictionaries, object_types  # noqa: F401

        # Each area's own registrations (beat tasks, hooks, importers): a module
        # ``kehu/service/setup/<area>.py`` with a ``ready()`` function.
        for module in import_submodules("kehu.service.setup"):
            module.ready()

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PluginAppConfig(AppConfig):
    name = "tests.plugin_app"
    label = "plugin_app"
    verbose_name = _("Gadgets")

    def ready(self) -> None:
        """Everything the module brings, registered here and nowhere else."""
        from kehu.core.registry import (
            Module,
            register_api_routes,
            register_beat_task,
            register_module,
            register_urls,
        )

        from . import object_types  # noqa: F401  (the object type)

        register_module(Module("plugin_app", _("Gadgets"), "bi-box", "plugin_app:index", order=90))
        register_urls("plugin_app", "tests.plugin_app.urls")
        register_api_routes("plugin_app", "tests.plugin_app.api.register")
        register_beat_task("plugin-app-count", "plugin_app.count_gadgets", 3600)

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SalesConfig(AppConfig):
    name = "kehu.sales"
    label = "sales"
    verbose_name = _("Sales")

    def ready(self) -> None:
        from kehu.core.registry import Module, register_module, register_urls

        register_module(Module("sales", _("Sales"), "bi-graph-up-arrow", "sales:index", order=30))
        register_urls("sales", "kehu.sales.urls")

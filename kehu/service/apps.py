from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ServiceConfig(AppConfig):
    name = "kehu.service"
    label = "service"
    verbose_name = _("Service")

    def ready(self) -> None:
        from kehu.core.registry import Module, register_module, register_urls

        register_module(Module("service", _("Service"), "bi-headset", "service:index", order=40))
        register_urls("service", "kehu.service.urls")

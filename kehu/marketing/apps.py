from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MarketingConfig(AppConfig):
    name = "kehu.marketing"
    label = "marketing"
    verbose_name = _("Marketing")

    def ready(self) -> None:
        from kehu.core.registry import (
            Module,
            register_api_routes,
            register_module,
            register_urls,
        )

        register_module(
            Module("marketing", _("Marketing"), "bi-megaphone", "marketing:index", order=20)
        )
        register_urls("marketing", "kehu.marketing.urls")
        register_api_routes("marketing", "kehu.marketing.api.register")
        from kehu.system.messaging.signals import unsubscribed

        from . import object_types  # noqa: F401
        from .actions.mailings import member_unsubscribed

        unsubscribed.connect(member_unsubscribed, dispatch_uid="marketing-member-unsubscribed")

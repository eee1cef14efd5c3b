from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AnalyticsConfig(AppConfig):
    name = "kehu.analytics"
    label = "analytics"
    verbose_name = _("Analytics")

    def ready(self) -> None:
        from kehu.core.registry import Module, Page, register_module, register_page, register_urls

        register_module(
            Module("analytics", _("Analytics"), "bi-bar-chart", "analytics:index", order=50)
        )
        register_urls("analytics", "kehu.analytics.urls")
        register_page(
            Page(
                module="analytics",
                label=_("Customer value (RFM, ABC)"),
                url_name="analytics:customer_value",
                perm="sales.view_salesorder",
                icon="bi-gem",
                order=10,
            )
        )

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
        from . import kpi_setup

        kpi_setup.ready()
        from celery.schedules import crontab

        from kehu.core.filters import contribute_filters
        from kehu.core.registry import register_beat_task
        from kehu.customers.timeline import register_customer_panel

        from .filters import customer_value_filters
        from .panels import value_panel

        contribute_filters("customers.customer", customer_value_filters)

        register_customer_panel(
            "value",
            label=_("Customer value"),
            template="analytics/_customer_value.html",
            context=value_panel,
            perm="sales.view_salesorder",
            order=10,
        )
        register_beat_task(
            "analytics-saved-reports", "kehu.analytics.send_saved_reports", crontab(minute=5)
        )
        register_beat_task(
            "analytics-customer-values",
            "kehu.analytics.refresh_customer_values",
            crontab(hour=2, minute=40),
        )
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
        register_page(
            Page(
                module="analytics",
                label=_("Sales reports (pivot)"),
                url_name="analytics:pivot",
                perm="sales.view_salesorder",
                icon="bi-grid-3x3",
                order=20,
            )
        )
        register_page(
            Page(
                module="analytics",
                label=_("Unusual orders"),
                url_name="analytics:outliers",
                perm="sales.view_salesorder",
                icon="bi-exclamation-diamond",
                order=30,
            )
        )

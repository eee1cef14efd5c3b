"""The analytics module's pages."""

from django.urls import path
from django.utils.translation import gettext_lazy as _

from kehu.core.site_views import module_index

from . import views
from .kpi_views import urlpatterns as kpi_urlpatterns

app_name = "analytics"

urlpatterns = [
    path(
        "",
        module_index(
            "analytics",
            _("Analytics"),
            _("RFM, value tiers, lifetime value, churn, segments, cross-sell and KPIs."),
        ),
        name="index",
    ),
    path("customer-value/", views.customer_value, name="customer_value"),
    path("reports/", views.pivot_report, name="pivot"),
    path("outliers/", views.outliers, name="outliers"),
]
urlpatterns += kpi_urlpatterns

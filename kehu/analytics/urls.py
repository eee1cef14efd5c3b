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
    path("customers/<int:pk>/10c/", views.customer_10c, name="customer_10c"),
    path("reports/save/", views.report_save, name="report_save"),
    path("reports/<int:pk>/", views.report_open, name="report_open"),
    path("reports/<int:pk>/delete/", views.report_delete, name="report_delete"),
]
urlpatterns += kpi_urlpatterns

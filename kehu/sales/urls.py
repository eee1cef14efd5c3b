"""The sales module's pages (its index for now)."""

from django.urls import path
from django.utils.translation import gettext_lazy as _

from kehu.core.site_views import module_index

app_name = "sales"

urlpatterns = [
    path(
        "",
        module_index(
            "sales",
            _("Sales"),
            _(
                "Leads, opportunities, funnel, quotes, contracts, orders, collections and commissions."
            ),
        ),
        name="index",
    ),
]

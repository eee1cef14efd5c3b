"""The sales module's pages: its index, then each area's ``routes.<area>.urlpatterns``."""

from django.urls import path
from django.utils.translation import gettext_lazy as _

from kehu.core.discover import import_submodules
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
for _module in import_submodules("kehu.sales.routes"):
    urlpatterns += _module.urlpatterns

"""The service module's pages: its index, then each area's ``routes.<area>.urlpatterns``."""

from django.urls import path
from django.utils.translation import gettext_lazy as _

from kehu.core.discover import import_submodules
from kehu.core.site_views import module_index

app_name = "service"

urlpatterns = [
    path(
        "",
        module_index(
            "service",
            _("Service"),
            _("Service requests, SLAs, routing, repairs, knowledge base, complaints and surveys."),
        ),
        name="index",
    ),
]
for _module in import_submodules("kehu.service.routes"):
    urlpatterns += _module.urlpatterns

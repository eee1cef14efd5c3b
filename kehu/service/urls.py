"""The service module's pages (its index for now)."""

from django.urls import path
from django.utils.translation import gettext_lazy as _

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

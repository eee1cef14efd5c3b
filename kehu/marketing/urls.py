"""The marketing module's pages: its index, then each area's ``routes.<area>.urlpatterns``."""

from django.urls import path
from django.utils.translation import gettext_lazy as _

from kehu.core.discover import import_submodules
from kehu.core.site_views import module_index

app_name = "marketing"

urlpatterns = [
    path(
        "",
        module_index(
            "marketing",
            _("Marketing"),
            _("Campaigns, plans, market intelligence, target lists, e-mail and events."),
        ),
        name="index",
    ),
]
for _module in import_submodules("kehu.marketing.routes"):
    urlpatterns += _module.urlpatterns

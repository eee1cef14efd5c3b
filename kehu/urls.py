from django.contrib.auth.decorators import login_required
from django.urls import include, path
from django.utils.translation import gettext_lazy as _
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.permissions import IsAuthenticated

from kehu.core.access_rules import LOGGED_IN, PUBLIC, declare
from kehu.core.registry import registry
from kehu.core.site_views import module_index


def module(name: str, title, description):
    return path(
        f"{name}/",
        include(([path("", module_index(name, title, description), name="index")], name)),
    )


urlpatterns = [
    path("", include("kehu.core.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("customers/", include("kehu.customers.urls")),
    path("system/", include("kehu.system.urls")),
    module(
        "marketing",
        _("Marketing"),
        _("Campaigns, plans, market intelligence, target lists, e-mail and events."),
    ),
    module(
        "sales",
        _("Sales"),
        _("Leads, opportunities, funnel, quotes, contracts, orders, collections and commissions."),
    ),
    module(
        "service",
        _("Service"),
        _("Service requests, SLAs, routing, repairs, knowledge base, complaints and surveys."),
    ),
    module(
        "analytics",
        _("Analytics"),
        _("RFM, value tiers, lifetime value, churn, segments, cross-sell and KPIs."),
    ),
    path("api/", include("kehu.api_urls")),
    # The schema maps every endpoint: only for users who are logged in (session or API token);
    # the docs page is for browsers, so it sends anonymous visitors to the login page.
    path(
        "api/schema/",
        SpectacularAPIView.as_view(permission_classes=[IsAuthenticated]),
        name="api-schema",
    ),
    path(
        "api/docs/",
        login_required(SpectacularSwaggerSplitView.as_view(url_name="api-schema")),
        name="api-docs",
    ),
]

handler400 = "kehu.core.site_views.bad_request"
handler403 = "kehu.core.site_views.permission_denied"
_ = registry

# Views we do not write: the language switch is public; the API root, schema and docs are for
# signed-in users (what they list is no secret, but the project does not publish it).
declare("set_language", PUBLIC)
declare("api-root", LOGGED_IN)
declare("api-schema", LOGGED_IN)
declare("api-docs", LOGGED_IN)

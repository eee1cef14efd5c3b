from django.urls import include, path
from django.utils.translation import gettext_lazy as _
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

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
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
]

handler400 = "kehu.core.site_views.bad_request"
handler403 = "kehu.core.site_views.permission_denied"
_ = registry

"""The project's URLs: the framework's, then every app's URL module from the registry (each app
registers its own in ``AppConfig.ready``), then the API. Adding a module edits nothing here."""

from django.contrib.auth.decorators import login_required
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.permissions import IsAuthenticated

from kehu.core.access_rules import LOGGED_IN, PUBLIC, declare
from kehu.core.registry import registry

urlpatterns = [
    path("", include("kehu.core.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    *(path(f"{prefix}/", include(urlconf)) for prefix, urlconf in registry.urls.items()),
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
handler404 = "kehu.core.site_views.page_not_found"
handler500 = "kehu.core.site_views.server_error"

# Views we do not write: the language switch is public; the API root, schema and docs are for
# signed-in users (what they list is no secret, but the project does not publish it).
declare("set_language", PUBLIC)
declare("api-root", LOGGED_IN)
declare("api-schema", LOGGED_IN)
declare("api-docs", LOGGED_IN)

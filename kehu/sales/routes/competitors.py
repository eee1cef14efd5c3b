"""URLs of the competitors area (namespace ``sales``)."""

from django.urls import path

from kehu.core.views import object_urls

from ..object_types.competitors import COMPETITOR, COMPETITOR_PRODUCT, INTELLIGENCE_NOTE
from ..views import competitor_reports as report_views
from ..views import competitors as views


def _with_detail(object_type, view_class) -> list:
    """The generic pages of a type, its detail page replaced by ``view_class``."""
    urls = object_urls(object_type)
    name = f"{object_type.name}_detail"
    for i, pattern in enumerate(urls):
        if pattern.name == name:
            urls[i] = path(
                str(pattern.pattern), view_class.as_view(object_type=object_type), name=name
            )
    return urls


urlpatterns = [
    *_with_detail(COMPETITOR, views.CompetitorDetailView),
    *object_urls(COMPETITOR_PRODUCT),
    *object_urls(INTELLIGENCE_NOTE),
]
urlpatterns += [
    path(
        "opportunities/<int:pk>/competitors/add/",
        views.deal_competitor_add,
        name="deal_competitor_add",
    ),
    path(
        "opportunities/<int:pk>/competitors/<int:line_pk>/",
        views.deal_competitor_update,
        name="deal_competitor_update",
    ),
    path(
        "opportunities/<int:pk>/competitors/<int:line_pk>/remove/",
        views.deal_competitor_remove,
        name="deal_competitor_remove",
    ),
    path("opportunities/<int:pk>/notes/add/", views.deal_note_add, name="deal_note_add"),
    path("competitors/win-loss/", report_views.win_loss, name="competitor_winloss"),
]

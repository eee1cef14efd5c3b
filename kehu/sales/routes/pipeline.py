"""URLs of the pipeline area (namespace ``sales``)."""

from django.urls import path

from kehu.core.views import object_urls

from ..object_types.pipeline import OPPORTUNITY, PIPELINE, STAGE
from ..views import pipeline as views


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
    *_with_detail(PIPELINE, views.PipelineDetailView),
    *object_urls(STAGE),
    *_with_detail(OPPORTUNITY, views.OpportunityDetailView),
    path("opportunities/<int:pk>/move/", views.move, name="opportunity_move"),
    path("kanban/", views.kanban, name="kanban"),
    path("kanban/column/", views.kanban_column, name="kanban_column"),
    path("funnel/", views.funnel, name="funnel"),
    path("forecast/", views.forecast, name="forecast"),
    path("lost-reasons/", views.lost_reasons, name="lost_reasons"),
]

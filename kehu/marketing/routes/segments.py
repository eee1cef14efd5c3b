"""URLs of segments (namespace ``marketing``): the generic pages with the area's own editor and
detail page, the live count and "add to a campaign"."""

from django.urls import path

from kehu.core.views import object_urls

from ..object_types import SEGMENT
from ..views import segments as views

_own = {
    "segment_detail": path(
        "segments/<int:pk>/",
        views.SegmentDetailView.as_view(object_type=SEGMENT),
        name="segment_detail",
    ),
    "segment_add": path(
        "segments/add/", views.SegmentEditView.as_view(object_type=SEGMENT), name="segment_add"
    ),
    "segment_edit": path(
        "segments/<int:pk>/edit/",
        views.SegmentEditView.as_view(object_type=SEGMENT),
        name="segment_edit",
    ),
}

urlpatterns = [
    *_own.values(),
    *[u for u in object_urls(SEGMENT) if u.name not in _own],
    path("segments/count/", views.segment_count, name="segment_count"),
    path("segments/<int:pk>/to-campaign/", views.segment_to_campaign, name="segment_to_campaign"),
]

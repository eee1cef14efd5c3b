"""URLs of campaigns, plans and the ROI report (namespace ``marketing``)."""

from django.urls import path

from kehu.core.views import object_urls

from ..object_types import CAMPAIGN, MARKETING_PLAN
from ..views import campaigns as views
from ..views import events, mailings


def _with_detail(object_type, detail_view) -> list:
    """The generic pages, the detail page replaced by the area's own."""
    n, p = object_type.name, object_type.plural_name
    own = [path(f"{p}/<int:pk>/", detail_view.as_view(object_type=object_type), name=f"{n}_detail")]
    return [*own, *[u for u in object_urls(object_type) if u.name != f"{n}_detail"]]


urlpatterns = [
    *_with_detail(CAMPAIGN, views.CampaignDetailView),
    *_with_detail(MARKETING_PLAN, views.PlanDetailView),
    path("campaigns/<int:pk>/members/add/", views.add_members, name="campaign_add_members"),
    path(
        "campaigns/<int:pk>/members/<int:member_pk>/response/",
        views.member_response,
        name="campaign_member_response",
    ),
    path(
        "campaigns/<int:pk>/members/<int:member_pk>/remove/",
        views.member_remove,
        name="campaign_member_remove",
    ),
    path("campaigns/<int:pk>/costs/add/", views.cost_add, name="campaign_cost_add"),
    path(
        "campaigns/<int:pk>/costs/<int:cost_pk>/remove/",
        views.cost_remove,
        name="campaign_cost_remove",
    ),
    path("campaigns/<int:pk>/email/", mailings.campaign_email, name="campaign_email"),
    path("campaigns/<int:pk>/registration/", events.event_registration, name="event_registration"),
    path(
        "campaigns/<int:pk>/members/<int:member_pk>/check-in/",
        events.event_check_in,
        name="event_check_in",
    ),
    # public: no login (the secret key in the address names the event)
    path("e/<str:key>/", events.event_register, name="event_register"),
    path("roi/", views.roi_report, name="roi"),
]

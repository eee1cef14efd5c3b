"""Pages of requests, contracts, installed goods, SLA policies, agents, reports and the
call-centre console (``service:`` namespace)."""

from django.urls import path

from kehu.core.views import object_urls

from ..object_types.requests import (
    AGENT_PROFILE,
    INSTALLED_PRODUCT,
    SERVICE_CONTRACT,
    SERVICE_REQUEST,
    SLA_POLICY,
)
from ..views import console
from ..views import requests as views


def _with_detail(object_type, detail_view) -> list:
    """The generic pages, the detail page replaced by the area's own."""
    n, p = object_type.name, object_type.plural_name
    own = [path(f"{p}/<int:pk>/", detail_view.as_view(object_type=object_type), name=f"{n}_detail")]
    return [*own, *[u for u in object_urls(object_type) if u.name != f"{n}_detail"]]


urlpatterns = [
    *_with_detail(SERVICE_REQUEST, views.ServiceRequestDetailView),
    path("service-requests/<int:pk>/move/", views.request_move, name="servicerequest_move"),
    path(
        "service-requests/<int:pk>/reassign/",
        views.request_reassign,
        name="servicerequest_reassign",
    ),
    path(
        "service-requests/<int:pk>/mail/reply/",
        views.request_mail_reply,
        name="servicerequest_mail_reply",
    ),
    path(
        "service-requests/<int:pk>/mail/original/<uuid:token>/",
        views.request_mail_raw,
        name="servicerequest_mail_raw",
    ),
    *object_urls(SERVICE_CONTRACT),
    *object_urls(INSTALLED_PRODUCT),
    *object_urls(SLA_POLICY),
    *object_urls(AGENT_PROFILE),
    path("reports/sla/", views.sla_report, name="sla_report"),
    path("reports/complaints/", views.complaints_report, name="complaints_report"),
    path("console/", console.console, name="console"),
    path("console/log/", console.console_log_call, name="console_log_call"),
]

"""The customer self-service portal (``/service/portal/…``) and the staff invitation page."""

from django.urls import path

from ..views import portal

urlpatterns = [
    path("portal/", portal.portal_requests, name="portal_requests"),
    path("portal/login/", portal.portal_login, name="portal_login"),
    path("portal/logout/", portal.portal_logout, name="portal_logout"),
    path("portal/password/<str:token>/", portal.portal_set_password, name="portal_set_password"),
    path("portal/requests/new/", portal.portal_request_new, name="portal_request_new"),
    path("portal/requests/<int:pk>/", portal.portal_request, name="portal_request"),
    path("portal/api/requests/", portal.portal_api_requests, name="portal_api_requests"),
    path("portal/api/requests/<int:pk>/", portal.portal_api_request, name="portal_api_request"),
    path("contacts/<int:pk>/portal/", portal.portal_invite, name="portal_invite"),
    path(
        "service-requests/<int:pk>/comments/",
        portal.request_comment,
        name="servicerequest_comment",
    ),
]

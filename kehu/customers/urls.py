from django.urls import path
from django.views.generic import RedirectView

from kehu.core.views import object_urls

from . import views
from .object_types import ACTIVITY, CONTACT, CUSTOMER
from .views import (
    ActivityDetailView,
    ActivityEditView,
    ActivityListView,
    ContactDetailView,
    ContactEditView,
    CustomerDetailView,
)

app_name = "customers"

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="customers:customer_list"), name="index"),
    # Specialised views first: they answer the same paths the generic ones would.
    path(
        "customers/<int:pk>/",
        CustomerDetailView.as_view(object_type=CUSTOMER),
        name="customer_detail",
    ),
    path("customers/<int:pk>/timeline/", views.customer_timeline, name="customer_timeline"),
    path(
        "customers/<int:pk>/log-activity/",
        views.customer_log_activity,
        name="customer_log_activity",
    ),
    path("contacts/add/", ContactEditView.as_view(object_type=CONTACT), name="contact_add"),
    path(
        "contacts/<int:pk>/", ContactDetailView.as_view(object_type=CONTACT), name="contact_detail"
    ),
    path("activities/", ActivityListView.as_view(object_type=ACTIVITY), name="activity_list"),
    path("activities/add/", ActivityEditView.as_view(object_type=ACTIVITY), name="activity_add"),
    path(
        "activities/<int:pk>/",
        ActivityDetailView.as_view(object_type=ACTIVITY),
        name="activity_detail",
    ),
    path(
        "activities/<int:pk>/do/<slug:action>/",
        views.activity_action,
        name="activity_action",
    ),
    path("calendar/", views.activity_calendar, name="calendar"),
    path("calendar/activities.ics", views.activity_ics, name="activity_ics"),
    path("calendar/feed/", views.calendar_feed_settings, name="calendar_feed"),
    path("calendar/feed/<str:token>.ics", views.activity_feed, name="activity_feed"),
    *object_urls(CUSTOMER),
    *object_urls(CONTACT),
    *object_urls(ACTIVITY),
]

from django.urls import path
from django.views.generic import RedirectView

from kehu.core.access_rules import PUBLIC, declare, perm
from kehu.core.views import object_urls

from . import views
from .object_types import ACTIVITY, CONTACT, CUSTOMER
from .views import (
    ActivityDetailView,
    ActivityEditView,
    ActivityListView,
    ContactDetailView,
    CustomerDetailView,
    CustomerListView,
    care_close,
    care_list,
    customer_care,
    customer_lifecycle,
    lifecycle_overview,
    lifecycle_recompute,
    lifecycle_rules,
)
from .views import recordops as ops
from .views.matching import (
    ContactCreateView,
    CustomerCreateView,
    CustomerShareRequestView,
    DismissCandidateView,
    DuplicateListView,
    ScanDuplicatesView,
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
    path("customers/", CustomerListView.as_view(object_type=CUSTOMER), name="customer_list"),
    path("customers/transfer/", views.customer_bulk_transfer, name="customer_transfer"),
    path("customers/<int:pk>/transfer/", views.customer_transfer, name="customer_transfer_one"),
    path("customers/<int:pk>/lifecycle/", customer_lifecycle, name="customer_lifecycle"),
    path("customers/<int:pk>/care/", customer_care, name="customer_care"),
    path("lifecycle/", lifecycle_overview, name="lifecycle"),
    path("lifecycle/rules/", lifecycle_rules, name="lifecycle_rules"),
    path("lifecycle/recompute/", lifecycle_recompute, name="lifecycle_recompute"),
    path("care/", care_list, name="care"),
    path("care/<int:pk>/<str:op>/", care_close, name="care_close"),
    path("customers/<int:pk>/timeline/", views.customer_timeline, name="customer_timeline"),
    path(
        "customers/<int:pk>/log-activity/",
        views.customer_log_activity,
        name="customer_log_activity",
    ),
    # Record operations: copy, merge and undo, recycle bin, erasure of personal data.
    path(
        "customers/<int:pk>/copy/",
        ops.CustomerCopyView.as_view(object_type=CUSTOMER),
        name="customer_copy",
    ),
    path("customers/merge/", ops.MergeView.as_view(), name="customer_merge"),
    path("contacts/merge/", ops.ContactMergeView.as_view(), name="contact_merge"),
    path("customers/merges/", ops.MergeListView.as_view(), name="customer_merge_list"),
    path("contacts/merges/", ops.ContactMergeListView.as_view(), name="contact_merge_list"),
    path("customers/merges/<int:pk>/", ops.MergeUndoView.as_view(), name="customer_merge_undo"),
    path(
        "contacts/merges/<int:pk>/", ops.ContactMergeUndoView.as_view(), name="contact_merge_undo"
    ),
    path("recycle-bin/", ops.RecycleBinView.as_view(), name="recycle_bin"),
    path(
        "recycle-bin/contacts/",
        ops.RecycleBinView.as_view(),
        {"type_name": "contact"},
        name="contact_recycle_bin",
    ),
    path(
        "recycle-bin/<str:type_name>/<int:pk>/restore/",
        ops.RestoreView.as_view(),
        name="recycle_restore",
    ),
    path("customers/<int:pk>/erase/", ops.EraseView.as_view(), name="customer_erase"),
    path("contacts/<int:pk>/erase/", ops.ContactEraseView.as_view(), name="contact_erase"),
    path(
        "contacts/<int:pk>/", ContactDetailView.as_view(object_type=CONTACT), name="contact_detail"
    ),
    path("activities/", ActivityListView.as_view(object_type=ACTIVITY), name="activity_list"),
    path(
        "activities/bulk-reassign/",
        views.activity_bulk_reassign,
        name="activity_bulk_reassign",
    ),
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
    # Create forms check for likely duplicates before saving.
    path("customers/add/", CustomerCreateView.as_view(object_type=CUSTOMER), name="customer_add"),
    path(
        "customers/add/share-request/",
        CustomerShareRequestView.as_view(),
        name="customer_share_request",
    ),
    path("contacts/add/", ContactCreateView.as_view(object_type=CONTACT), name="contact_add"),
    path("duplicates/", DuplicateListView.as_view(), name="duplicate_list"),
    path("duplicates/scan/", ScanDuplicatesView.as_view(), name="duplicate_scan"),
    path("duplicates/<int:pk>/dismiss/", DismissCandidateView.as_view(), name="duplicate_dismiss"),
    *object_urls(CUSTOMER),
    *object_urls(CONTACT),
    *object_urls(ACTIVITY),
]

# A redirect to the customer list (which asks for a login); the contacts' recycle bin is the
# customers' view for another type, with that type's permission.
declare("customers:index", PUBLIC)
declare("customers:contact_recycle_bin", perm("customers.delete_contact"))

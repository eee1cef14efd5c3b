from django.urls import path
from django.views.generic import RedirectView

from kehu.core.views import object_urls

from .object_types import CONTACT, CUSTOMER
from .views import CustomerDetailView
from .views.matching import (
    ContactCreateView,
    CustomerCreateView,
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
    # Create forms check for likely duplicates before saving.
    path("customers/add/", CustomerCreateView.as_view(object_type=CUSTOMER), name="customer_add"),
    path("contacts/add/", ContactCreateView.as_view(object_type=CONTACT), name="contact_add"),
    path("duplicates/", DuplicateListView.as_view(), name="duplicate_list"),
    path("duplicates/scan/", ScanDuplicatesView.as_view(), name="duplicate_scan"),
    path("duplicates/<int:pk>/dismiss/", DismissCandidateView.as_view(), name="duplicate_dismiss"),
    *object_urls(CUSTOMER),
    *object_urls(CONTACT),
]

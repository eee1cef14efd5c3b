from django.urls import path
from django.views.generic import RedirectView

from kehu.core.views import object_urls

from .object_types import CONTACT, CUSTOMER
from .views import (
    ContactEditView,
    CustomerDetailView,
    care_close,
    care_list,
    customer_care,
    customer_lifecycle,
    lifecycle_overview,
    lifecycle_recompute,
    lifecycle_rules,
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
    path("contacts/add/", ContactEditView.as_view(object_type=CONTACT), name="contact_add"),
    path("customers/<int:pk>/lifecycle/", customer_lifecycle, name="customer_lifecycle"),
    path("customers/<int:pk>/care/", customer_care, name="customer_care"),
    path("lifecycle/", lifecycle_overview, name="lifecycle"),
    path("lifecycle/rules/", lifecycle_rules, name="lifecycle_rules"),
    path("lifecycle/recompute/", lifecycle_recompute, name="lifecycle_recompute"),
    path("care/", care_list, name="care"),
    path("care/<int:pk>/<str:op>/", care_close, name="care_close"),
    *object_urls(CUSTOMER),
    *object_urls(CONTACT),
]

from django.urls import path
from django.views.generic import RedirectView

from kehu.core.views import object_urls

from .object_types import CONTACT, CUSTOMER
from .views import ContactEditView, CustomerDetailView

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
    *object_urls(CUSTOMER),
    *object_urls(CONTACT),
]

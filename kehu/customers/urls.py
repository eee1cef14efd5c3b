from django.urls import path
from django.views.generic import RedirectView

from kehu.core.views import object_urls

from .object_types import CUSTOMER

app_name = "customers"

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="customers:customer_list"), name="index"),
    *object_urls(CUSTOMER),
]

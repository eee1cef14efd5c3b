from django.urls import path
from django.views.generic import RedirectView

from kehu.core.access_rules import PUBLIC, declare
from kehu.core.views import object_urls

from .object_types import GADGET

app_name = "plugin_app"

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="plugin_app:gadget_list"), name="index"),
    *object_urls(GADGET),
]

declare("plugin_app:index", PUBLIC)  # a redirect to the list, which asks for a login

"""URLs of a deal's products (namespace ``sales``)."""

from django.urls import path

from ..views import opportunity_lines as views

urlpatterns = [
    path("opportunities/<int:pk>/products/add/", views.deal_line_add, name="deal_line_add"),
    path(
        "opportunities/<int:pk>/products/<int:line_pk>/remove/",
        views.deal_line_remove,
        name="deal_line_remove",
    ),
    path("opportunities/<int:pk>/quote/", views.deal_quote, name="deal_quote"),
]

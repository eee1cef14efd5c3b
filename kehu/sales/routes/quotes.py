"""Pages of the quotes area (under ``/sales/``)."""

from django.urls import path

from kehu.core.views import object_urls

from ..object_types.quotes import PRICE_AGREEMENT, QUOTE
from ..views import quotes as views

urlpatterns = [
    # Specialised views first: they answer paths the generic ones would.
    path("quotes/add/", views.QuoteEditView.as_view(object_type=QUOTE), name="quote_add"),
    path("quotes/<int:pk>/", views.QuoteDetailView.as_view(object_type=QUOTE), name="quote_detail"),
    path(
        "quotes/<int:pk>/edit/", views.QuoteEditView.as_view(object_type=QUOTE), name="quote_edit"
    ),
    path("quotes/line-row/", views.quote_line_row, name="quote_line_row"),
    path("quotes/products/", views.quote_product_options, name="quote_product_options"),
    path("quotes/<int:pk>/pdf/", views.quote_pdf, name="quote_pdf"),
    path("quotes/<int:pk>/new-version/", views.quote_new_version, name="quote_new_version"),
    path("quotes/<int:pk>/accept/", views.quote_accept, name="quote_accept"),
    path("quotes/<int:pk>/reject/", views.quote_reject, name="quote_reject"),
    path("quotes/<int:pk>/send/", views.quote_send, name="quote_send"),
    *object_urls(QUOTE),
    *object_urls(PRICE_AGREEMENT),
]

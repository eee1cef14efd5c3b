"""Object types of the quotes area: quotes, their lines and one-to-one price agreements."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from kehu.core.registry import ObjectType, Page, register
from kehu.core.saving import record_actions

from ..actions.quotes import (
    delete_quote,
    save_price_agreement,
    save_quote,
)
from ..filters.quotes import PriceAgreementFilterSet, QuoteFilterSet
from ..forms.quotes import PriceAgreementForm, QuoteForm
from ..models import PriceAgreement, Quote


def _save_quote(quote: Quote, *, user, lines=None) -> Quote:
    return save_quote(quote=quote, lines=lines, user=user)


QUOTE = register(
    ObjectType(
        model=Quote,
        menu_order=30,
        namespace="sales",
        filterset=QuoteFilterSet,
        form=QuoteForm,
        columns=[
            "number",
            "version_no",
            "title",
            "customer",
            "status",
            "total",
            "valid_until",
            "owner",
        ],
        sortable=["number", "title", "status", "total", "valid_until"],
        default_sort="-pk",
        search_fields=["number", "title"],
        export_fields=[
            "number",
            "version_no",
            "title",
            "customer",
            "contact",
            "opportunity",
            "status",
            "currency",
            "subtotal",
            "discount_total",
            "tax_total",
            "total",
            "valid_until",
            "sent_at",
            "decided_at",
            "reject_reason",
            "owner",
            "department",
        ],
        select_related=["customer", "owner"],
        api_select_related=["customer", "owner", "department"],
        detail_fields=[
            "number",
            "version_no",
            "title",
            "customer",
            "contact",
            "opportunity",
            "status",
            "currency",
            "valid_until",
            "sent_at",
            "decided_at",
            "reject_reason",
            "floor_approval",
            "terms",
            "owner",
            "department",
        ],
        actions=record_actions(Quote, _save_quote, extra=("lines",), delete=delete_quote),
        list_links=[
            Page(
                module="sales",
                label=_("Price agreements"),
                url_name="sales:priceagreement_list",
                perm="sales.view_priceagreement",
                icon="bi-tags",
            )
        ],
    )
)

PRICE_AGREEMENT = register(
    ObjectType(
        model=PriceAgreement,
        menu_order=34,
        namespace="sales",
        filterset=PriceAgreementFilterSet,
        form=PriceAgreementForm,
        columns=["customer", "product", "price", "valid_from", "valid_to"],
        sortable=["price", "valid_from", "valid_to"],
        default_sort="-pk",
        search_fields=[],  # found through their customer (the 360° page), not the global search
        export_fields=["customer", "product", "price", "valid_from", "valid_to", "notes"],
        select_related=["customer", "product"],
        api_select_related=["customer", "product"],
        actions=record_actions(PriceAgreement, save_price_agreement),
    )
)

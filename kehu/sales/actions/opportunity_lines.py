"""A deal's products: add, change and remove lines, keep the deal's amount equal to their sum,
and start a quote from them.

Lines are priced like quote lines (a one-to-one price agreement, else the customer level's
price, else the list price; a price typed by hand wins) but carry no tax: a deal's amount is
the expected revenue before tax, as the funnel and forecast add it up."""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max, Sum
from django.utils.translation import gettext as _

from kehu.core.audit import audited_bulk_create, audited_bulk_delete
from kehu.core.fields import quantize
from kehu.system.models import Product

from ..models import Opportunity, OpportunityLine, Quote
from .quotes import amount_places, default_price, line_amounts, quantity_places, save_quote

HUNDRED = Decimal("100")
CHANGE = "sales.change_opportunity"


class LineError(StrEnum):
    """Error codes of the deal-line actions (``ValidationError.code``)."""

    NO_PRODUCT = "no_product"
    BAD_QUANTITY = "bad_quantity"
    BAD_PRICE = "bad_price"
    BAD_DISCOUNT = "bad_discount"
    CLOSED = "closed"
    NO_LINES = "no_lines"


def _error(field: str, message: str, code: LineError) -> ValidationError:
    return ValidationError({field: ValidationError(message, code=str(code))})


def _number(value: Any, field: str, label: str) -> Decimal:
    try:
        number = Decimal(str(value).strip().replace(",", ""))
    except Exception:  # InvalidOperation, TypeError: whatever was posted
        number = None
    if number is None or not number.is_finite():
        raise _error(
            field, _("%(label)s must be a number.") % {"label": label}, LineError.BAD_QUANTITY
        )
    return number


def check_deal_editable(*, opportunity: Opportunity, user) -> Opportunity:
    """The deal, locked for the change, if ``user`` may change it and it is still open."""
    if user is not None and (
        not user.has_perm(CHANGE)
        or not Opportunity.objects.editable_by(user).filter(pk=opportunity.pk).exists()
    ):
        raise PermissionDenied
    deal = Opportunity.objects.select_for_update().get(pk=opportunity.pk)
    if deal.status != Opportunity.Status.OPEN:
        raise _error(
            "product",
            _("The deal is closed: its products can no longer change."),
            LineError.CLOSED,
        )
    return deal


def build_deal_line(
    *,
    opportunity: Opportunity,
    product: Product | None,
    quantity: Any = 1,
    unit_price: Any = None,
    discount_percent: Any = 0,
    description: str = "",
) -> OpportunityLine:
    """A checked, rounded line (not saved); a missing unit price comes from the customer's
    prices."""
    if product is None:
        raise _error("product", _("Choose a product."), LineError.NO_PRODUCT)
    qty = quantize(
        _number(quantity if quantity not in (None, "") else 1, "quantity", _("Quantity")),
        quantity_places(),
    )
    if qty <= 0:
        raise _error("quantity", _("The quantity must be more than zero."), LineError.BAD_QUANTITY)
    places = amount_places()
    if unit_price in (None, ""):
        price = default_price(customer=opportunity.customer, product=product).price
    else:
        price = quantize(_number(unit_price, "unit_price", _("Unit price")), places)
    if price < 0:
        raise _error("unit_price", _("The unit price cannot be negative."), LineError.BAD_PRICE)
    discount = _number(
        discount_percent if discount_percent not in (None, "") else 0,
        "discount_percent",
        _("Discount"),
    )
    if discount < 0 or discount > HUNDRED:
        raise _error(
            "discount_percent",
            _("The discount must be between 0 and 100 percent."),
            LineError.BAD_DISCOUNT,
        )
    line = OpportunityLine(
        opportunity=opportunity,
        product=product,
        description=(description or "").strip()[:300],
        quantity=qty,
        unit_price=price,
        discount_percent=quantize(discount, 4),
    )
    line.line_total = line_amounts(
        quantity=qty,
        unit_price=price,
        discount_percent=line.discount_percent,
        tax_rate=Decimal("0"),
        places=places,
    ).net
    return line


def _sync_amount(deal: Opportunity) -> Opportunity:
    """The deal's amount := the sum of its lines (audited like any edit); no lines, no change."""
    total = deal.lines.aggregate(total=Sum("line_total"))["total"]
    if total is not None and deal.amount != total:
        deal.amount = total
        deal.save()
    return deal


def lines_total(opportunity: Opportunity) -> Decimal | None:
    """The sum of the deal's lines, or None when it has none (its amount is then typed)."""
    return opportunity.lines.aggregate(total=Sum("line_total"))["total"]


@transaction.atomic
def add_deal_line(
    *,
    opportunity: Opportunity,
    user,
    product: Product | None,
    quantity: Any = 1,
    unit_price: Any = None,
    discount_percent: Any = 0,
    description: str = "",
) -> OpportunityLine:
    """Add a product to an open deal; the deal's amount becomes the sum of its lines."""
    deal = check_deal_editable(opportunity=opportunity, user=user)
    line = build_deal_line(
        opportunity=deal,
        product=product,
        quantity=quantity,
        unit_price=unit_price,
        discount_percent=discount_percent,
        description=description,
    )
    last = deal.lines.aggregate(last=Max("position"))["last"] or 0
    line.position = last + 1
    audited_bulk_create(OpportunityLine, [line])
    _sync_amount(deal)
    return line


@transaction.atomic
def remove_deal_line(*, line: OpportunityLine, user) -> Opportunity:
    """Remove a product from an open deal. The amount stays as the last line left it when the
    last one goes (a typed amount again from then on)."""
    deal = check_deal_editable(opportunity=line.opportunity, user=user)
    audited_bulk_delete(OpportunityLine.objects.filter(pk=line.pk, opportunity=deal))
    return _sync_amount(deal)


@transaction.atomic
def quote_from_deal(*, opportunity: Opportunity, user) -> Quote:
    """A draft quote for the deal's customer and contact with the deal's products (prices and
    discounts as on the deal; tax from each product). The quote's own rules apply (a price
    under the floor asks for approval)."""
    if user is not None and not user.has_perm("sales.add_quote"):
        raise PermissionDenied
    lines = list(opportunity.lines.select_related("product").order_by("position", "pk"))
    if not lines:
        raise _error(
            "product",
            _("Add the deal's products first: a quote is made from them."),
            LineError.NO_LINES,
        )
    quote = Quote(
        title=opportunity.name[:200],
        customer=opportunity.customer,
        contact=opportunity.contact,
        opportunity=opportunity,
        currency=opportunity.currency,
    )
    return save_quote(
        quote=quote,
        user=user,
        lines=[
            {
                "product": line.product,
                "quantity": line.quantity,
                "unit_price": line.unit_price,
                "discount_percent": line.discount_percent,
                "description": line.description,
            }
            for line in lines
        ],
    )

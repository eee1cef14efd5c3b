"""Quote business rules: pricing, totals, the floor-price check, versions, sending, decisions.

Every writer (pages, API, imports, demo) goes through these functions. Totals are computed here
and nowhere else, rounded half up to the decimals of the system parameters
(``quote_amount_decimals`` / ``quote_quantity_decimals``).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from kehu.core.audit import audited_bulk_create, audited_bulk_delete
from kehu.core.fields import quantize
from kehu.core.models import AuditLog
from kehu.core.numbering import take_numbers
from kehu.core.permissions import SpecialPermission
from kehu.customers.models import Customer
from kehu.system.models import PriceListItem, Product
from kehu.system.params import get_params

from ..models import PriceAgreement, Quote, QuoteLine

#: Numbers of new quotes (a new version keeps its quote's number).
QUOTE_NUMBER_PATTERN = "BJ{YYYY}{MM}-{seq:5}"
HUNDRED = Decimal("100")


class QuoteError(StrEnum):
    """Error codes of the quote rules (``ValidationError.code``)."""

    NOT_DRAFT = "not_draft"
    NEGATIVE_QUANTITY = "negative_quantity"
    BAD_DISCOUNT = "bad_discount"
    NEGATIVE_PRICE = "negative_price"
    BAD_TAX = "bad_tax"
    CURRENCY = "currency_mismatch"
    BELOW_FLOOR = "below_floor"
    BAD_NUMBER = "bad_number"
    NO_PRODUCT = "no_product"
    CUSTOMER = "customer_forbidden"
    BAD_STATUS = "bad_status"
    REASON = "reason_required"
    NO_LINES = "no_lines"
    NO_RECIPIENT = "no_recipient"
    DATES = "bad_dates"


def invalid(field_name: str, message: str, code: str) -> ValidationError:
    """An error on one field that keeps its code (``ValidationError({...}, code=)`` drops it)."""
    return ValidationError({field_name: [ValidationError(message, code=code)]})


# --- Decimal places ------------------------------------------------------------------------------


def amount_places() -> int:
    return get_params().quote_amount_decimals


def quantity_places() -> int:
    return get_params().quote_quantity_decimals


def _decimal(value: Any, label: str, field_name: str) -> Decimal:
    if isinstance(value, Decimal):
        number = value
    else:
        try:
            number = Decimal(str(value).strip().replace(",", ""))
        except (InvalidOperation, ValueError):
            number = None
    if number is None or not number.is_finite() or abs(number) >= Decimal("1e13"):
        raise invalid(
            field_name, _("%(field)s is not a number.") % {"field": label}, QuoteError.BAD_NUMBER
        )
    return number


# --- Prices --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DefaultPrice:
    """The price a line starts from and where it came from (``QuoteLine.PriceSource``)."""

    price: Decimal
    source: str

    @property
    def source_label(self) -> str:
        return str(QuoteLine.PriceSource(self.source).label)


def default_price(
    *, customer: Customer | None, product: Product, on: datetime.date | None = None
) -> DefaultPrice:
    """A one-to-one price agreement valid on ``on`` (today), else the price of the customer's
    level, else the product's list price; rounded to the quote's amount decimals."""
    on = on or timezone.localdate()
    places = amount_places()
    if customer is not None and customer.pk:
        agreement = (
            PriceAgreement.objects.filter(customer=customer, product=product)
            .filter(Q(valid_from__isnull=True) | Q(valid_from__lte=on))
            .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=on))
            .order_by("-valid_from", "-pk")
            .values_list("price", flat=True)
            .first()
        )
        if agreement is not None:
            return DefaultPrice(quantize(agreement, places), QuoteLine.PriceSource.AGREEMENT)
        if customer.level:
            level = (
                PriceListItem.objects.filter(product=product, customer_level=customer.level)
                .values_list("price", flat=True)
                .first()
            )
            if level is not None:
                return DefaultPrice(quantize(level, places), QuoteLine.PriceSource.LEVEL)
    return DefaultPrice(quantize(product.list_price, places), QuoteLine.PriceSource.LIST)


def default_tax_percent(product: Product) -> Decimal:
    """The product's tax rate (a fraction, 0.13) as the line's percentage (13)."""
    return (product.tax_rate * HUNDRED).normalize()


# --- Line arithmetic -----------------------------------------------------------------------------


@dataclass(frozen=True)
class LineAmounts:
    gross: Decimal  # quantity × unit price
    discount: Decimal
    net: Decimal  # the line total, before tax
    tax: Decimal


def line_amounts(
    *,
    quantity: Decimal,
    unit_price: Decimal,
    discount_percent: Decimal,
    tax_rate: Decimal,
    places: int | None = None,
) -> LineAmounts:
    """Each amount rounded half up to ``places`` (the quote's amount decimals)."""
    places = amount_places() if places is None else places
    gross = quantize(quantity * unit_price, places)
    discount = quantize(quantity * unit_price * discount_percent / HUNDRED, places)
    net = gross - discount
    tax = quantize(net * tax_rate / HUNDRED, places)
    return LineAmounts(gross, discount, net, tax)


def net_unit_price(line: QuoteLine) -> Decimal:
    return line.unit_price * (HUNDRED - line.discount_percent) / HUNDRED


# --- The floor price -----------------------------------------------------------------------------


def below_floor(line: QuoteLine) -> bool:
    floor = line.product.floor_price
    return bool(floor) and floor > 0 and net_unit_price(line) < floor


def may_sell_below_floor(user) -> bool:
    return user is not None and user.has_perm(SpecialPermission.SELL_BELOW_FLOOR)


FLOOR_KIND = "sales.price_below_floor"


def ask_approval_below_floor(*, quote: Quote, lines: list[QuoteLine], user) -> None:
    """Lines under their product's floor price, saved by someone without the special
    permission: the quote waits for an approval (and is locked until it is decided); it cannot
    be sent or accepted before. The one place that decides what "below the floor" costs."""
    from kehu.system.approvals import request_approval

    places = amount_places()
    below = [
        {
            "product": line.product.name,
            "price": str(quantize(net_unit_price(line), places)),
            "floor": str(quantize(line.product.floor_price, places)),
        }
        for line in lines
    ]
    quote.floor_approval = "pending"
    quote.save()
    request_approval(
        record=quote,
        kind=FLOOR_KIND,
        requested_by=user,
        summary=_("Quote %(number)s: %(n)s line(s) below the floor price, total %(total)s")
        % {"number": quote.number, "n": len(below), "total": quote.total},
        data={"lines": below, "total": str(quote.total), "customer": quote.customer.name},
    )


def floor_approved(request, user) -> None:
    """``on_approved`` of the kind: the quote may be sent."""
    quote = Quote.objects.filter(pk=request.object_id).first()
    if quote is not None and quote.floor_approval == "pending":
        quote.floor_approval = "approved"
        quote.save()


def floor_rejected(request, user) -> None:
    """``on_rejected``: the quote stays a draft until its prices are raised (or approved)."""
    quote = Quote.objects.filter(pk=request.object_id).first()
    if quote is not None and quote.floor_approval == "pending":
        quote.floor_approval = "rejected"
        quote.save()


def register_floor_approval() -> None:
    from django.utils.translation import gettext_lazy

    from kehu.system.approvals import ApprovalKind, register_approval_kind

    register_approval_kind(
        ApprovalKind(
            code=FLOOR_KIND,
            label=gettext_lazy("Quote below the floor price"),
            on_approved=floor_approved,
            on_rejected=floor_rejected,
            data_labels={"total": gettext_lazy("Total"), "customer": gettext_lazy("Customer")},
        )
    )


def check_floor_cleared(quote: Quote) -> None:
    """A quote with prices below the floor is sent or accepted only once approved."""
    if quote.floor_approval == "pending":
        raise ValidationError(
            _("The quote waits for approval of its prices below the floor price."),
            code=QuoteError.BELOW_FLOOR,
        )
    if quote.floor_approval == "rejected":
        raise ValidationError(
            _(
                "The prices below the floor price were not approved: raise them (or ask again "
                "by saving the quote) before sending it."
            ),
            code=QuoteError.BELOW_FLOOR,
        )


# --- Saving --------------------------------------------------------------------------------------


def take_quote_numbers(count: int) -> list[str]:
    return take_numbers(
        QUOTE_NUMBER_PATTERN,
        count,
        queryset=Quote.objects.all(),
        field="number",
        label="sales.quote",
    )


def _check_editable(quote: Quote) -> None:
    if quote.pk and quote.status != Quote.Status.DRAFT:
        raise ValidationError(
            _(
                "Only a draft quote can be changed; this one is %(status)s. "
                "Make a new version to change it."
            )
            % {"status": quote.get_status_display()},
            code=QuoteError.NOT_DRAFT,
        )


def _check_currency(quote: Quote) -> None:
    system = get_params().currency
    if not quote.currency:
        quote.currency = system
    quote.currency = quote.currency.upper()
    if quote.currency != system:
        raise invalid(
            "currency",
            _("Quotes are in the system currency %(system)s; %(currency)s is not accepted.")
            % {"system": system, "currency": quote.currency},
            QuoteError.CURRENCY,
        )
    customer_currency = getattr(quote.customer, "currency", "") if quote.customer_id else ""
    if customer_currency and customer_currency != quote.currency:
        raise invalid(
            "currency",
            _("The customer pays in %(currency)s, not in %(quote)s.")
            % {"currency": customer_currency, "quote": quote.currency},
            QuoteError.CURRENCY,
        )


def _check_customer(quote: Quote, user) -> None:
    if user is None or not quote.customer_id:
        return
    if not Customer.objects.visible_to(user).filter(pk=quote.customer_id).exists():
        raise invalid("customer", _("You may not quote to this customer."), QuoteError.CUSTOMER)
    if quote.contact_id and quote.contact.customer_id != quote.customer_id:
        raise invalid(
            "contact", _("The contact must work at the quote's customer."), QuoteError.CUSTOMER
        )
    if quote.opportunity_id and quote.opportunity.customer_id != quote.customer_id:
        raise invalid(
            "opportunity",
            _("The opportunity must be with the quote's customer."),
            QuoteError.CUSTOMER,
        )


def _value(line: Any, name: str, default=None):
    if isinstance(line, dict):
        return line.get(name, default)
    return getattr(line, name, default)


def build_line(
    *, quote: Quote, data: Any, index: int, user, on: datetime.date | None = None
) -> QuoteLine:
    """A line from ``data`` (a dict or an object with the line's attributes): the product is
    required; a missing unit price or tax rate comes from the product and the customer's prices;
    every number is checked and rounded. Not saved."""
    product = _value(data, "product")
    if product is not None and not isinstance(product, Product):
        product = Product.objects.filter(pk=product).first() if str(product).isdigit() else None
    if product is None:
        raise invalid(
            "lines", _("Line %(n)s: choose a product.") % {"n": index}, QuoteError.NO_PRODUCT
        )
    q_places, a_places = quantity_places(), amount_places()
    quantity = _decimal(_value(data, "quantity", 1) or 0, _("Quantity"), "lines")
    if quantity <= 0:
        raise invalid(
            "lines",
            _("Line %(n)s: the quantity must be more than zero.") % {"n": index},
            QuoteError.NEGATIVE_QUANTITY,
        )
    quantity = quantize(quantity, q_places)
    if quantity <= 0:
        raise invalid(
            "lines",
            _("Line %(n)s: the quantity rounds to zero at %(places)s decimals.")
            % {"n": index, "places": q_places},
            QuoteError.NEGATIVE_QUANTITY,
        )
    raw_price = _value(data, "unit_price")
    customer = quote.customer if quote.customer_id else None
    default = default_price(customer=customer, product=product, on=on)
    if raw_price in (None, ""):
        unit_price, source = default.price, default.source
    else:
        unit_price = _decimal(raw_price, _("Unit price"), "lines")
        same = quantize(unit_price, a_places) == default.price
        source = default.source if same else QuoteLine.PriceSource.MANUAL
    if unit_price < 0:
        raise invalid(
            "lines",
            _("Line %(n)s: the unit price cannot be negative.") % {"n": index},
            QuoteError.NEGATIVE_PRICE,
        )
    unit_price = quantize(unit_price, a_places)
    discount = _decimal(_value(data, "discount_percent", 0) or 0, _("Discount"), "lines")
    if discount < 0 or discount > HUNDRED:
        raise invalid(
            "lines",
            _("Line %(n)s: the discount must be from 0 to 100 %%.") % {"n": index},
            QuoteError.BAD_DISCOUNT,
        )
    raw_tax = _value(data, "tax_rate")
    if raw_tax in (None, ""):
        tax = default_tax_percent(product)
    else:
        tax = _decimal(raw_tax, _("Tax rate"), "lines")
    if tax < 0 or tax > HUNDRED:
        raise invalid(
            "lines",
            _("Line %(n)s: the tax rate must be from 0 to 100 %%.") % {"n": index},
            QuoteError.BAD_TAX,
        )
    line = QuoteLine(
        quote=quote,
        position=index,
        product=product,
        description=(_value(data, "description", "") or "")[:300],
        quantity=quantity,
        unit_price=unit_price,
        discount_percent=quantize(discount, 4),
        tax_rate=quantize(tax, 4),
        price_source=source,
    )
    line.line_total = line_amounts(
        quantity=quantity,
        unit_price=unit_price,
        discount_percent=line.discount_percent,
        tax_rate=line.tax_rate,
        places=a_places,
    ).net
    return line


def compute_totals(quote: Quote, lines: list[QuoteLine]) -> None:
    """Subtotal, discount, tax and total of ``lines`` on ``quote`` (not saved)."""
    places = amount_places()
    subtotal = discount = tax = Decimal("0")
    for line in lines:
        amounts = line_amounts(
            quantity=line.quantity,
            unit_price=line.unit_price,
            discount_percent=line.discount_percent,
            tax_rate=line.tax_rate,
            places=places,
        )
        subtotal += amounts.gross
        discount += amounts.discount
        tax += amounts.tax
    quote.subtotal = quantize(subtotal, places)
    quote.discount_total = quantize(discount, places)
    quote.tax_total = quantize(tax, places)
    quote.total = quantize(subtotal - discount + tax, places)


@transaction.atomic
def save_quote(*, quote: Quote, lines: list | None = None, user) -> Quote:
    """Create or update a draft quote and, when ``lines`` is given, replace its lines with them
    (dicts or objects with product, quantity, unit_price, discount_percent, tax_rate,
    description). A new quote belongs to its creator and gets the next quote number. Lines
    under the floor price by someone without the permission send the quote for approval
    (``user=None``: a system writer such as the demo, trusted)."""
    adding = quote._state.adding
    if not adding:
        from kehu.system.approvals import ensure_not_locked

        ensure_not_locked(quote)
        stored = Quote.objects.filter(pk=quote.pk).values_list("status", flat=True).first()
        if stored is not None and stored != Quote.Status.DRAFT:
            quote.status = stored
        _check_editable(quote)
    if adding:
        if not quote.owner_id:
            quote.owner = user
        if not quote.department_id:
            quote.department_id = quote.owner.department_id
        quote.status = Quote.Status.DRAFT
    _check_customer(quote, user)
    _check_currency(quote)
    built = None
    if lines is not None:
        built = [
            build_line(quote=quote, data=data, index=n, user=user)
            for n, data in enumerate(lines, start=1)
        ]
    if not quote.number:
        quote.number = take_quote_numbers(1)[0]
    if built is not None:
        current = built
    elif quote.pk:
        current = list(quote.lines.select_related("product"))
    else:
        current = []
    compute_totals(quote, current)
    quote.full_clean(exclude=["owner", "department"] if quote.department_id is None else None)
    quote.save()
    if built is not None:
        old = QuoteLine.objects.filter(quote=quote)
        if old.exists():
            audited_bulk_delete(old)
        for line in built:
            line.quote = quote
        audited_bulk_create(QuoteLine, built)
        below = [line for line in built if below_floor(line)]
        if below and user is not None and not may_sell_below_floor(user):
            ask_approval_below_floor(quote=quote, lines=below, user=user)
        elif quote.floor_approval:
            quote.floor_approval = ""
            quote.save()
    return quote


def refresh_totals(quote: Quote) -> Quote:
    lines = list(quote.lines.select_related("product"))
    compute_totals(quote, lines)
    quote.save()
    return quote


@transaction.atomic
def delete_quote(*, user, obj: Quote) -> None:
    """Only a draft is deleted (with its lines); a sent or decided quote is history."""
    _check_editable(obj)
    audited_bulk_delete(QuoteLine.objects.filter(quote=obj))
    previous = obj.previous
    from kehu.core.audit import delete_record

    delete_record(obj=obj, user=user)
    if previous is not None and previous.status == Quote.Status.SUPERSEDED:
        # The draft that replaced it is gone: the previous version is current again.
        previous.status = Quote.Status.SENT if previous.sent_at else Quote.Status.DRAFT
        previous.save()


# --- Versions ------------------------------------------------------------------------------------


@transaction.atomic
def new_version(*, quote: Quote, user) -> Quote:
    """A draft copy of the quote and its lines (same number, version + 1, ``previous`` → the
    old one, which becomes superseded). Accepted and superseded quotes have no new version."""
    from kehu.system.approvals import ensure_not_locked

    quote = Quote.objects.select_for_update().get(pk=quote.pk)
    ensure_not_locked(quote)
    if quote.status in (Quote.Status.ACCEPTED, Quote.Status.SUPERSEDED):
        raise ValidationError(
            _("A new version cannot be made of a quote that is %(status)s.")
            % {"status": quote.get_status_display()},
            code=QuoteError.BAD_STATUS,
        )
    lines = list(quote.lines.all())
    copy = Quote(
        number=quote.number,
        title=quote.title,
        customer_id=quote.customer_id,
        contact_id=quote.contact_id,
        opportunity_id=quote.opportunity_id,
        status=Quote.Status.DRAFT,
        version_no=quote.version_no + 1,
        previous=quote,
        currency=quote.currency,
        valid_until=quote.valid_until,
        subtotal=quote.subtotal,
        discount_total=quote.discount_total,
        tax_total=quote.tax_total,
        total=quote.total,
        terms=quote.terms,
        floor_approval=quote.floor_approval,
        owner_id=quote.owner_id,
        department_id=quote.department_id,
    )
    copy.save()
    audited_bulk_create(
        QuoteLine,
        [
            QuoteLine(
                quote=copy,
                position=line.position,
                product_id=line.product_id,
                description=line.description,
                quantity=line.quantity,
                unit_price=line.unit_price,
                discount_percent=line.discount_percent,
                tax_rate=line.tax_rate,
                line_total=line.line_total,
                price_source=line.price_source,
            )
            for line in lines
        ],
    )
    quote.status = Quote.Status.SUPERSEDED
    quote.save()
    return copy


def versions_of(quote: Quote, user) -> list[Quote]:
    """Every version of the quote's number the user may see, newest first."""
    return list(
        Quote.objects.visible_to(user)
        .filter(number=quote.number, customer_id=quote.customer_id)
        .select_related("owner")
        .order_by("-version_no", "-pk")
    )


# --- Decisions -----------------------------------------------------------------------------------


def _check_decidable(quote: Quote) -> None:
    if quote.status not in (Quote.Status.DRAFT, Quote.Status.SENT):
        raise ValidationError(
            _("Only a draft or sent quote can be accepted or rejected; this one is %(status)s.")
            % {"status": quote.get_status_display()},
            code=QuoteError.BAD_STATUS,
        )
    if not quote.lines.exists():
        raise ValidationError(_("The quote has no lines."), code=QuoteError.NO_LINES)


@transaction.atomic
def accept_quote(*, quote: Quote, user) -> Quote:
    """The customer accepted: the quote is ready to become an order or a contract."""
    quote = Quote.objects.select_for_update().get(pk=quote.pk)
    _check_decidable(quote)
    check_floor_cleared(quote)
    quote.status = Quote.Status.ACCEPTED
    quote.decided_at = timezone.now()
    quote.save()
    return quote


@transaction.atomic
def reject_quote(*, quote: Quote, user, reason: str) -> Quote:
    reason = (reason or "").strip()
    if not reason:
        raise invalid("reason", _("Say why the customer rejected the quote."), QuoteError.REASON)
    quote = Quote.objects.select_for_update().get(pk=quote.pk)
    _check_decidable(quote)
    quote.status = Quote.Status.REJECTED
    quote.decided_at = timezone.now()
    quote.reject_reason = reason[:500]
    quote.save()
    return quote


# --- Sending -------------------------------------------------------------------------------------


@transaction.atomic
def send_quote(
    *,
    quote: Quote,
    user,
    to: list[str],
    subject: str = "",
    message: str = "",
    language: str = "zh-hans",
) -> Quote:
    """E-mail the quote's PDF (in ``language``) through the configured mail server; the quote
    becomes sent and an e-mail activity is logged on the customer when the sender may."""
    from django.conf import settings
    from django.core.mail import EmailMessage
    from django.core.validators import validate_email
    from django.utils import translation

    from ..quote_pdf import quote_pdf

    quote = Quote.objects.select_for_update().select_related("customer").get(pk=quote.pk)
    if quote.status not in (Quote.Status.DRAFT, Quote.Status.SENT):
        raise ValidationError(
            _("Only a draft or sent quote can be sent; this one is %(status)s.")
            % {"status": quote.get_status_display()},
            code=QuoteError.BAD_STATUS,
        )
    if not quote.lines.exists():
        raise ValidationError(_("The quote has no lines."), code=QuoteError.NO_LINES)
    check_floor_cleared(quote)
    recipients = [a.strip() for a in to if a and a.strip()]
    if not recipients:
        raise invalid("to", _("Give at least one recipient."), QuoteError.NO_RECIPIENT)
    for address in recipients:
        validate_email(address)
    with translation.override(language):
        pdf = quote_pdf(quote, user=user)
        subject = subject or _("Quote %(number)s from %(company)s") % {
            "number": quote.number,
            "company": get_params().company_name or "Kehu",
        }
        filename = f"{quote.number}-v{quote.version_no}.pdf"
    mail = EmailMessage(
        subject=subject,
        body=message or subject,
        from_email=getattr(settings, "DEFAULT_FROM_EMAIL", None),
        to=recipients,
    )
    mail.attach(filename, pdf, "application/pdf")
    mail.send(fail_silently=False)
    quote.status = Quote.Status.SENT
    quote.sent_at = timezone.now()
    quote.save()
    AuditLog.record(quote, AuditLog.Action.UPDATE, {"sent_to": [", ".join(recipients), subject]})
    _log_email_activity(quote, user, recipients, subject)
    return quote


def _log_email_activity(quote: Quote, user, recipients: list[str], subject: str) -> None:
    """An e-mail activity on the customer (the customers app's action), when the sender may
    log activities for this customer."""
    from kehu.customers.actions import log_activity
    from kehu.customers.models import Activity

    if user is None or not Customer.objects.editable_by(user).filter(pk=quote.customer_id).exists():
        return
    log_activity(
        customer=quote.customer,
        user=user,
        kind=Activity.Kind.EMAIL,
        subject=subject[:200],
        description=_("Quote %(number)s v%(version)s sent to %(to)s.")
        % {"number": quote.number, "version": quote.version_no, "to": ", ".join(recipients)},
    )


# --- Price history -------------------------------------------------------------------------------


@dataclass
class PriceHistoryEntry:
    when: datetime.date
    unit_price: Decimal | None  # None: quoted by someone outside the user's data scope
    by: str
    quote_number: str
    quote_id: int | None
    visible: bool
    status: str = ""
    extra: dict = field(default_factory=dict)

    def message(self) -> str:
        if self.visible:
            return _("%(who)s quoted %(price)s on %(date)s (%(number)s).") % {
                "who": self.by,
                "price": f"{self.unit_price:,.{amount_places()}f}",
                "date": self.when.isoformat(),
                "number": self.quote_number,
            }
        return _("Another colleague quoted a different price on %(date)s.") % {
            "date": self.when.isoformat()
        }


def price_history(
    *,
    customer_id: int,
    product_id: int,
    user,
    unit_price: Decimal | None = None,
    exclude_number: str = "",
    limit: int = 5,
) -> list[PriceHistoryEntry]:
    """Earlier quotes of this product to this customer (other quote numbers), newest first;
    with ``unit_price`` only those at a different price. Lines the user may not see are told
    without the price or the colleague's name."""
    lines = (
        QuoteLine.objects.filter(quote__customer_id=customer_id, product_id=product_id)
        .exclude(quote__status=Quote.Status.SUPERSEDED)
        .select_related("quote", "quote__owner")
        .order_by("-quote__created_at", "-pk")
    )
    if exclude_number:
        lines = lines.exclude(quote__number=exclude_number)
    if unit_price is not None:
        lines = lines.exclude(unit_price=unit_price)
    rows = list(lines[:limit])
    visible = set(
        QuoteLine.objects.visible_to(user)
        .filter(pk__in=[r.pk for r in rows])
        .values_list("pk", flat=True)
    )
    out = []
    for row in rows:
        seen = row.pk in visible
        owner = row.quote.owner
        out.append(
            PriceHistoryEntry(
                when=timezone.localtime(row.quote.created_at).date(),
                unit_price=quantize(row.unit_price, amount_places()) if seen else None,
                by=str(owner) if seen and owner else "",
                quote_number=row.quote.number if seen else "",
                quote_id=row.quote_id if seen else None,
                visible=seen,
                status=row.quote.get_status_display() if seen else "",
            )
        )
    return out


def customer_price_history(*, customer: Customer, user, limit: int = 20) -> list[dict]:
    """The last quoted price of each product to the customer that the user may see, with how
    many other prices were quoted (the customer page's card)."""
    rows = list(
        QuoteLine.objects.visible_to(user)
        .filter(quote__customer=customer)
        .exclude(quote__status=Quote.Status.SUPERSEDED)
        .select_related("product", "quote", "quote__owner")
        .order_by("-quote__created_at", "-pk")[:200]
    )
    products: dict[int, dict] = {}
    for row in rows:
        entry = products.get(row.product_id)
        if entry is None:
            if len(products) >= limit:
                continue
            owner = row.quote.owner
            entry = products[row.product_id] = {
                "product": row.product,
                "last_price": quantize(row.unit_price, amount_places()),
                "last_date": timezone.localtime(row.quote.created_at).date(),
                "last_by": str(owner) if owner else "",
                "quote": row.quote,
                "prices": set(),
            }
        entry["prices"].add(quantize(row.unit_price, amount_places()))
    out = []
    for entry in products.values():
        entry["other_prices"] = sorted(p for p in entry["prices"] if p != entry["last_price"])
        out.append(entry)
    return out


# --- Price agreements ----------------------------------------------------------------------------


@transaction.atomic
def save_price_agreement(agreement: PriceAgreement, *, user) -> PriceAgreement:
    """A one-to-one price for a customer the user may edit; dates in order, price not
    negative, rounded to the quote's amount decimals."""
    if (
        user is not None
        and agreement.customer_id
        and not Customer.objects.editable_by(user).filter(pk=agreement.customer_id).exists()
    ):
        raise invalid(
            "customer", _("You may not agree prices with this customer."), QuoteError.CUSTOMER
        )
    if agreement.price is not None:
        if agreement.price < 0:
            raise invalid("price", _("The price cannot be negative."), QuoteError.NEGATIVE_PRICE)
        agreement.price = quantize(agreement.price, amount_places())
    if agreement.valid_from and agreement.valid_to and agreement.valid_to < agreement.valid_from:
        raise invalid("valid_to", _("The end date is before the start date."), QuoteError.DATES)
    agreement.full_clean()
    agreement.save()
    return agreement

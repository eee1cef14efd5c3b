"""Sales orders and contracts: totals, the status flow with its tracking timeline, the credit-limit
check, quote conversion, payment plans and renewal reminders. Pages, API and tasks call these."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kehu.core.audit import audited_bulk_create, audited_bulk_delete
from kehu.core.fields import quantize
from kehu.core.numbering import take_numbers
from kehu.system.params import get_params

from ..models import (
    Contract,
    Instalment,
    OrderEvent,
    Quote,
    SalesOrder,
    SalesOrderLine,
)
from ..models.orders import BOOKED_STATUSES

ORDER_NUMBER_PATTERN = "SO{YYYY}{MM}-{seq:5}"
CONTRACT_NUMBER_PATTERN = "HT{YYYY}-{seq:5}"
DEFAULT_PAYMENT_DAYS = 30
HUNDRED = Decimal("100")


class OrderError(StrEnum):
    NOT_EDITABLE = "order_not_editable"
    NEGATIVE_QUANTITY = "negative_quantity"
    NEGATIVE_PRICE = "negative_price"
    DISCOUNT_RANGE = "discount_out_of_range"
    TAX_RANGE = "tax_out_of_range"
    CURRENCY_MISMATCH = "currency_mismatch"
    CUSTOMER_MISMATCH = "customer_mismatch"
    TRANSITION = "invalid_transition"
    NO_LINES = "no_lines"
    CREDIT_LIMIT = "credit_limit"
    HAS_PAYMENTS = "has_payments"
    QUOTE_NOT_ACCEPTED = "quote_not_accepted"
    QUOTE_CONVERTED = "quote_converted"
    PLAN_SUM = "plan_sum"
    CONTRACT_NOT_EDITABLE = "contract_not_editable"
    DATES = "dates"


def field_error(field: str, message, code: str) -> ValidationError:
    """An error on one field that keeps its code (tests and API clients read it)."""
    return ValidationError({field: ValidationError(message, code=code)})


# --- Amounts ------------------------------------------------------------------------------------


def amount_places() -> int:
    return get_params().order_amount_decimals


def quantity_places() -> int:
    return get_params().order_quantity_decimals


@dataclass(frozen=True)
class LineAmounts:
    gross: Decimal
    discount: Decimal
    tax: Decimal
    total: Decimal


def line_amounts(
    quantity: Decimal, unit_price: Decimal, discount_percent: Decimal, tax_rate: Decimal
) -> LineAmounts:
    """quantity × price, less the discount, plus tax on what is left; each part rounded half up
    to the order's amount decimals, the total being the sum of the rounded parts."""
    places = amount_places()
    gross_exact = Decimal(quantity) * Decimal(unit_price)
    gross = quantize(gross_exact, places)
    discount = quantize(gross_exact * Decimal(discount_percent) / HUNDRED, places)
    net_exact = gross_exact - gross_exact * Decimal(discount_percent) / HUNDRED
    tax = quantize(net_exact * Decimal(tax_rate) / HUNDRED, places)
    return LineAmounts(gross, discount, tax, gross - discount + tax)


def check_line(line: SalesOrderLine) -> None:
    """Refuse what a line may not hold, naming the field (400 in the API, a form error)."""
    errors = {}
    if line.quantity is None or line.quantity < 0:
        errors["quantity"] = ValidationError(
            _("The quantity cannot be negative."), code=OrderError.NEGATIVE_QUANTITY
        )
    if line.unit_price is None or line.unit_price < 0:
        errors["unit_price"] = ValidationError(
            _("The unit price cannot be negative."), code=OrderError.NEGATIVE_PRICE
        )
    if line.discount_percent is None or not 0 <= line.discount_percent <= HUNDRED:
        errors["discount_percent"] = ValidationError(
            _("The discount must be between 0 and 100 %."), code=OrderError.DISCOUNT_RANGE
        )
    if line.tax_rate is None or not 0 <= line.tax_rate <= HUNDRED:
        errors["tax_rate"] = ValidationError(
            _("The tax rate must be between 0 and 100 %."), code=OrderError.TAX_RANGE
        )
    if errors:
        raise ValidationError(errors)


def recompute_totals(order: SalesOrder) -> SalesOrder:
    """Line totals and order totals from the stored lines; the only place totals are set."""
    lines = list(order.lines.all())
    subtotal = discount = tax = total = Decimal("0")
    changed = []
    for line in lines:
        amounts = line_amounts(line.quantity, line.unit_price, line.discount_percent, line.tax_rate)
        if line.line_total != amounts.total:
            line.line_total = amounts.total
            changed.append(line)
        subtotal += amounts.gross
        discount += amounts.discount
        tax += amounts.tax
        total += amounts.total
    for line in changed:
        line.save(update_fields=["line_total"])
    order.subtotal, order.discount_total, order.tax_total, order.total = (
        subtotal,
        discount,
        tax,
        total,
    )
    return order


# --- Orders -------------------------------------------------------------------------------------


def ensure_editable(order: SalesOrder) -> None:
    """Only a draft is edited, and not while an approval is pending on it (over the credit
    limit: the approver decides on the figures they were shown)."""
    from kehu.system.approvals import ensure_not_locked

    ensure_not_locked(order)
    if order.pk and order.status != SalesOrder.Status.DRAFT:
        raise ValidationError(
            _(
                "Order %(number)s is %(status)s: a confirmed order cannot be edited. Cancel it "
                "and create a new one if it must change."
            )
            % {"number": order.number, "status": order.get_status_display()},
            code=OrderError.NOT_EDITABLE,
        )


def _currency_error(field: str, theirs: str, ours: str) -> ValidationError:
    return ValidationError(
        {
            field: ValidationError(
                _("Currency mismatch: %(theirs)s here, %(ours)s on the order.")
                % {"theirs": theirs, "ours": ours},
                code=OrderError.CURRENCY_MISMATCH,
            )
        }
    )


def check_links(order: SalesOrder) -> None:
    """Quote, contract and opportunity belong to the order's customer and currency; the contact
    works there."""
    for name in ("quote", "contract", "opportunity"):
        linked = getattr(order, name) if getattr(order, f"{name}_id") else None
        if linked is None:
            continue
        if linked.customer_id != order.customer_id:
            raise ValidationError(
                {
                    name: ValidationError(
                        _("It belongs to another customer."), code=OrderError.CUSTOMER_MISMATCH
                    )
                }
            )
        currency = getattr(linked, "currency", "") or ""
        if currency and currency != order.currency:
            raise _currency_error(name, currency, order.currency)
    if order.contact_id and order.contact.customer_id != order.customer_id:
        raise field_error(
            "contact", _("The contact works at another customer."), OrderError.CUSTOMER_MISMATCH
        )


def take_order_number() -> str:
    return take_numbers(
        ORDER_NUMBER_PATTERN,
        1,
        queryset=SalesOrder.objects.all(),
        field="number",
        label="sales.salesorder",
    )[0]


def _event(order: SalesOrder, *, user, to: str, frm: str = "", note: str = "") -> OrderEvent:
    event = OrderEvent(
        order=order,
        at=timezone.now(),
        from_status=frm,
        to_status=to,
        actor=user if getattr(user, "pk", None) else None,
        note=note[:300],
    )
    event.save()
    return event


@transaction.atomic
def save_order(order: SalesOrder, *, user, lines: list[dict] | None = None) -> SalesOrder:
    """Create or update a draft order (and, with ``lines``, replace its lines). A new order is
    owned by its creator, numbered and starts its tracking timeline."""
    adding = order._state.adding
    if not adding:
        stored = SalesOrder.objects.select_for_update().get(pk=order.pk)
        ensure_editable(stored)
        if stored.credit_approval == "rejected":  # changed: a new confirmation asks again
            order.credit_approval = ""
    if adding:
        if not order.owner_id:
            order.owner = user
        if not order.department_id:
            order.department_id = order.owner.department_id
        order.number = take_order_number()
    if not order.currency:
        order.currency = get_params().currency
    order.currency = order.currency.upper()
    if order.order_date is None:
        order.order_date = timezone.localdate()
    check_links(order)
    order.full_clean(exclude=["owner", "department"] if order.department_id is None else None)
    order.save()
    if lines is not None:
        _replace_lines(order, lines)
    recompute_totals(order)
    order.save()
    if adding:
        _event(order, user=user, to=SalesOrder.Status.DRAFT, note=_("Order created"))
    return order


def _replace_lines(order: SalesOrder, lines: list[dict]) -> None:
    audited_bulk_delete(order.lines.all())
    objs = []
    for position, data in enumerate(lines, start=1):
        objs.append(_new_line(order, position=position, **data))
    for obj in objs:
        obj.save()


def _new_line(
    order: SalesOrder,
    *,
    product,
    quantity=Decimal("1"),
    unit_price=None,
    discount_percent=Decimal("0"),
    tax_rate=None,
    description: str = "",
    position: int = 0,
) -> SalesOrderLine:
    line = SalesOrderLine(
        order=order,
        position=position,
        product=product,
        description=description or "",
        quantity=quantize(quantity, quantity_places()) if quantity is not None else None,
        unit_price=product.list_price if unit_price is None else Decimal(unit_price),
        discount_percent=Decimal(discount_percent if discount_percent is not None else 0),
        # the product keeps its rate as a fraction (0.13); lines as a percentage (13)
        tax_rate=product.tax_rate * HUNDRED if tax_rate is None else Decimal(tax_rate),
    )
    check_line(line)
    line.unit_price = quantize(line.unit_price, amount_places())
    return line


@transaction.atomic
def add_order_line(order: SalesOrder, *, user, **data) -> SalesOrderLine:
    """One more line on a draft order (price and tax default to the product's)."""
    order = SalesOrder.objects.select_for_update().get(pk=order.pk)
    ensure_editable(order)
    position = (order.lines.order_by("-position").values_list("position", flat=True).first()) or 0
    line = _new_line(order, position=position + 1, **data)
    line.save()
    recompute_totals(order)
    order.save()
    return line


@transaction.atomic
def remove_order_line(line: SalesOrderLine, *, user) -> None:
    order = SalesOrder.objects.select_for_update().get(pk=line.order_id)
    ensure_editable(order)
    audited_bulk_delete(SalesOrderLine.objects.filter(pk=line.pk))
    recompute_totals(order)
    order.save()


# --- Status flow --------------------------------------------------------------------------------

S = SalesOrder.Status
TRANSITIONS: dict[str, tuple[str, ...]] = {
    S.DRAFT: (S.CONFIRMED, S.CANCELLED),
    S.CONFIRMED: (S.SHIPPED, S.CANCELLED),
    S.SHIPPED: (S.DELIVERED,),
    S.DELIVERED: (S.COMPLETED,),
    S.COMPLETED: (),
    S.CANCELLED: (),
}


def next_statuses(order: SalesOrder) -> tuple[str, ...]:
    return TRANSITIONS.get(order.status, ())


def _move(order: SalesOrder, to: str, *, user, note: str = "") -> SalesOrder:
    from kehu.system.approvals import ensure_not_locked

    order = SalesOrder.objects.select_for_update().select_related("customer").get(pk=order.pk)
    ensure_not_locked(order)
    if to not in next_statuses(order):
        raise ValidationError(
            _("An order that is %(from)s cannot become %(to)s.")
            % {"from": order.get_status_display(), "to": S(to).label},
            code=OrderError.TRANSITION,
        )
    frm = order.status
    order.status = to
    if to == S.CONFIRMED:
        order.confirmed_at = timezone.now()
    order.save()
    _event(order, user=user, to=to, frm=frm, note=note)
    return order


@transaction.atomic
def confirm_order(order: SalesOrder, *, user, note: str = "") -> SalesOrder:
    """Draft → confirmed: the order needs lines, and the customer's open receivables plus this
    order must stay within the credit limit (``check_credit``). Over the limit, without the
    override permission, the order stays a draft and asks for an approval instead (it is
    confirmed when the approval is granted): the returned order's ``credit_approval`` is then
    "pending"."""
    from kehu.system.approvals import ensure_not_locked

    order = SalesOrder.objects.select_for_update().select_related("customer").get(pk=order.pk)
    ensure_not_locked(order)
    if order.status == S.DRAFT:
        if not order.lines.exists():
            raise ValidationError(
                _("Add at least one line before confirming the order."), code=OrderError.NO_LINES
            )
        recompute_totals(order)
        if not order.payment_due:
            order.payment_due = order.order_date + datetime.timedelta(days=DEFAULT_PAYMENT_DAYS)
        order.save()
        if not check_credit(order, user=user):
            return order
    return _move(order, S.CONFIRMED, user=user, note=note)


@transaction.atomic
def ship_order(order: SalesOrder, *, user, note: str = "") -> SalesOrder:
    return _move(order, S.SHIPPED, user=user, note=note)


@transaction.atomic
def deliver_order(order: SalesOrder, *, user, note: str = "") -> SalesOrder:
    return _move(order, S.DELIVERED, user=user, note=note)


@transaction.atomic
def complete_order(order: SalesOrder, *, user, note: str = "") -> SalesOrder:
    return _move(order, S.COMPLETED, user=user, note=note)


@transaction.atomic
def cancel_order(order: SalesOrder, *, user, note: str = "") -> SalesOrder:
    """Draft or confirmed → cancelled; refused while money received on it stands."""
    from .collections import paid_on_order

    if paid_on_order(order) != 0:
        raise ValidationError(
            _("Payments were received on this order: reverse them before cancelling it."),
            code=OrderError.HAS_PAYMENTS,
        )
    return _move(order, S.CANCELLED, user=user, note=note)


TRANSITION_ACTIONS = {
    S.CONFIRMED: confirm_order,
    S.SHIPPED: ship_order,
    S.DELIVERED: deliver_order,
    S.COMPLETED: complete_order,
    S.CANCELLED: cancel_order,
}


def move_order(order: SalesOrder, to: str, *, user, note: str = "") -> SalesOrder:
    """The transition action for ``to`` (pages and API name the target status)."""
    action = TRANSITION_ACTIONS.get(to)
    if action is None:
        raise ValidationError(_("Unknown status."), code=OrderError.TRANSITION)
    return action(order, user=user, note=note)


# --- Credit limit -------------------------------------------------------------------------------


@dataclass(frozen=True)
class CreditCheck:
    limit: Decimal
    open_receivables: Decimal
    order_total: Decimal

    @property
    def exposure(self) -> Decimal:
        return self.open_receivables + self.order_total

    @property
    def unlimited(self) -> bool:
        return self.limit <= 0

    @property
    def over(self) -> bool:
        return not self.unlimited and self.exposure > self.limit

    @property
    def available(self) -> Decimal | None:
        return None if self.unlimited else self.limit - self.open_receivables


def credit_check(order: SalesOrder) -> CreditCheck:
    """The customer's open receivables (every confirmed-or-later order not under a contract and
    every active or expired contract: amount less net payments, due or not — see
    ``collections.customer_open_receivables``) plus this order, against the credit limit.
    A credit limit of 0 means no limit has been set."""
    from .collections import customer_open_receivables

    return CreditCheck(
        limit=order.customer.credit_limit or Decimal("0"),
        open_receivables=customer_open_receivables(order.customer_id, exclude_order=order.pk),
        order_total=order.total if order.contract_id is None else Decimal("0"),
    )


CREDIT_KIND = "sales.over_credit_limit"


def may_exceed_credit_limit(user) -> bool:
    return user is not None and user.has_perm("sales.exceed_credit_limit")


def check_credit(order: SalesOrder, *, user) -> bool:
    """May the draft ``order`` be confirmed now? Within the limit, with the override permission
    or with the approval granted: yes. Otherwise it asks for the approval (``False``)."""
    check = credit_check(order)
    if not check.over or may_exceed_credit_limit(user) or order.credit_approval == "approved":
        return True
    ask_approval_over_credit_limit(order=order, check=check, user=user)
    return False


def credit_figures(order: SalesOrder, check: CreditCheck) -> dict[str, str]:
    """The figures an approver decides on (stored on the request, shown on the approvals page)."""
    places = amount_places()
    return {
        "customer": str(order.customer),
        "limit": str(quantize(check.limit, places)),
        "open_receivables": str(quantize(check.open_receivables, places)),
        "order_total": str(quantize(check.order_total, places)),
        "exposure": str(quantize(check.exposure, places)),
        "over_by": str(quantize(check.exposure - check.limit, places)),
    }


def ask_approval_over_credit_limit(*, order: SalesOrder, check: CreditCheck, user) -> None:
    """Confirming an order that takes the customer over the credit limit, by someone without
    the override permission: the order stays a draft, locked, and waits for an approval
    (``sales.over_credit_limit``); approved, it is confirmed; rejected, it stays a draft. The
    one place that decides what going over the limit costs."""
    from kehu.system.approvals import request_approval

    figures = credit_figures(order, check)
    order.credit_approval = "pending"
    order.save()
    request_approval(
        record=order,
        kind=CREDIT_KIND,
        requested_by=user,
        summary=_(
            "Order %(number)s for %(customer)s: open receivables %(open)s + this order "
            "%(total)s = %(exposure)s, over the credit limit of %(limit)s"
        )
        % {
            "number": order.number,
            "customer": figures["customer"],
            "open": figures["open_receivables"],
            "total": figures["order_total"],
            "exposure": figures["exposure"],
            "limit": figures["limit"],
        },
        data=figures,
    )


def credit_approved(request, user) -> None:
    """``on_approved`` of the kind: the order goes on to confirmed, by the approver."""
    order = SalesOrder.objects.filter(pk=request.object_id).first()
    if order is None or order.credit_approval != "pending":
        return
    order.credit_approval = "approved"
    order.save()
    if order.status == S.DRAFT:
        confirm_order(order, user=user, note=_("Approved over the credit limit."))


def credit_rejected(request, user) -> None:
    """``on_rejected``: the order stays a draft (collect payments, lower it, or ask again)."""
    order = SalesOrder.objects.filter(pk=request.object_id).first()
    if order is not None and order.credit_approval == "pending":
        order.credit_approval = "rejected"
        order.save()


def register_credit_approval() -> None:
    from django.utils.translation import gettext_lazy

    from kehu.system.approvals import ApprovalKind, register_approval_kind

    register_approval_kind(
        ApprovalKind(
            code=CREDIT_KIND,
            label=gettext_lazy("Order over the credit limit"),
            on_approved=credit_approved,
            on_rejected=credit_rejected,
            data_labels={
                "customer": gettext_lazy("Customer"),
                "limit": gettext_lazy("Credit limit"),
                "open_receivables": gettext_lazy("Open receivables"),
                "order_total": gettext_lazy("This order"),
                "exposure": gettext_lazy("Total after this order"),
                "over_by": gettext_lazy("Over the limit by"),
            },
        )
    )


# --- Quote conversion ---------------------------------------------------------------------------


def _check_convertible(quote: Quote) -> None:
    if quote.status != Quote.Status.ACCEPTED:
        raise ValidationError(
            _("Only an accepted quote can be converted (this one is %(status)s).")
            % {"status": quote.get_status_display()},
            code=OrderError.QUOTE_NOT_ACCEPTED,
        )
    done = (
        SalesOrder.objects.filter(quote=quote).values_list("number", flat=True).first()
        or Contract.objects.filter(quote=quote).values_list("number", flat=True).first()
    )
    if done:
        raise ValidationError(
            _("This quote has already been converted (%(number)s).") % {"number": done},
            code=OrderError.QUOTE_CONVERTED,
        )


def quote_conversion(quote: Quote) -> SalesOrder | Contract | None:
    """The order or contract a quote became, if any."""
    return SalesOrder.objects.filter(quote=quote).first() or (
        Contract.objects.filter(quote=quote).first()
    )


@transaction.atomic
def convert_quote_to_order(quote: Quote, *, user) -> SalesOrder:
    """An accepted quote becomes a draft order with the same lines and prices."""
    quote = Quote.objects.select_for_update().get(pk=quote.pk)
    _check_convertible(quote)
    order = SalesOrder(
        customer_id=quote.customer_id,
        contact_id=quote.contact_id,
        opportunity_id=quote.opportunity_id,
        quote=quote,
        currency=quote.currency or get_params().currency,
        order_date=timezone.localdate(),
        owner_id=quote.owner_id,
        department_id=quote.department_id,
    )
    lines = [
        {
            "product": line.product,
            "description": line.description,
            "quantity": line.quantity,
            "unit_price": line.unit_price,
            "discount_percent": line.discount_percent,
            "tax_rate": line.tax_rate,
        }
        for line in quote.lines.select_related("product").order_by("position", "id")
    ]
    return save_order(order, user=user, lines=lines)


@transaction.atomic
def convert_quote_to_contract(
    quote: Quote,
    *,
    user,
    start_date: datetime.date | None = None,
    end_date: datetime.date | None = None,
) -> Contract:
    """An accepted quote becomes a draft contract for its total (one year from today unless
    dates are given)."""
    quote = Quote.objects.select_for_update().get(pk=quote.pk)
    _check_convertible(quote)
    start = start_date or timezone.localdate()
    contract = Contract(
        title=quote.title,
        customer_id=quote.customer_id,
        opportunity_id=quote.opportunity_id,
        quote=quote,
        currency=quote.currency or get_params().currency,
        start_date=start,
        end_date=end_date or start.replace(year=start.year + 1) - datetime.timedelta(days=1),
        amount=quote.total,
        terms=quote.terms,
        owner_id=quote.owner_id,
        department_id=quote.department_id,
    )
    return save_contract(contract, user=user)


# --- Contracts ----------------------------------------------------------------------------------


def take_contract_number() -> str:
    return take_numbers(
        CONTRACT_NUMBER_PATTERN,
        1,
        queryset=Contract.objects.all(),
        field="number",
        label="sales.contract",
    )[0]


def _contract_places() -> int:
    return get_params().contract_amount_decimals


def ensure_contract_editable(contract: Contract) -> None:
    if contract.pk and contract.status != Contract.Status.DRAFT:
        raise ValidationError(
            _("Contract %(number)s is %(status)s: only a draft contract can be edited.")
            % {"number": contract.number, "status": contract.get_status_display()},
            code=OrderError.CONTRACT_NOT_EDITABLE,
        )


def check_plan_sum(contract: Contract, amounts: list[Decimal] | None = None) -> None:
    """A payment plan adds up to the contract amount exactly (no plan: one amount due at the
    start date)."""
    if amounts is None:
        amounts = list(contract.instalments.values_list("amount", flat=True))
    if not amounts:
        return
    total = sum(amounts, Decimal("0"))
    if total != contract.amount:
        places = _contract_places()
        raise ValidationError(
            _(
                "The payment plan adds up to %(plan)s but the contract amount is %(amount)s: "
                "the instalments must add up to the contract amount exactly."
            )
            % {"plan": quantize(total, places), "amount": quantize(contract.amount, places)},
            code=OrderError.PLAN_SUM,
        )


@transaction.atomic
def save_contract(contract: Contract, *, user) -> Contract:
    adding = contract._state.adding
    if not adding:
        ensure_contract_editable(Contract.objects.select_for_update().get(pk=contract.pk))
    else:
        if not contract.owner_id:
            contract.owner = user
        if not contract.department_id:
            contract.department_id = contract.owner.department_id
        contract.number = take_contract_number()
    if not contract.currency:
        contract.currency = get_params().currency
    contract.currency = contract.currency.upper()
    if contract.amount is not None:
        if contract.amount < 0:
            raise field_error("amount", _("The amount cannot be negative."), "negative_amount")
        contract.amount = quantize(contract.amount, _contract_places())
    if contract.start_date and contract.end_date and contract.end_date < contract.start_date:
        raise field_error(
            "end_date", _("The contract cannot end before it starts."), OrderError.DATES
        )
    if contract.quote_id and contract.quote.customer_id != contract.customer_id:
        raise field_error(
            "quote", _("It belongs to another customer."), OrderError.CUSTOMER_MISMATCH
        )
    if contract.opportunity_id and contract.opportunity.customer_id != contract.customer_id:
        raise field_error(
            "opportunity", _("It belongs to another customer."), OrderError.CUSTOMER_MISMATCH
        )
    contract.full_clean(exclude=["owner", "department"] if contract.department_id is None else None)
    if not adding:
        check_plan_sum(contract)
    contract.save()
    return contract


@transaction.atomic
def set_payment_plan(
    contract: Contract, *, user, instalments: list[tuple[datetime.date, Decimal]]
) -> list[Instalment]:
    """Replace the payment plan of a draft contract; the amounts must add up to the contract
    amount, every amount positive, every due date within the sane range."""
    contract = Contract.objects.select_for_update().get(pk=contract.pk)
    ensure_contract_editable(contract)
    places = _contract_places()
    rows = []
    for position, (due, amount) in enumerate(sorted(instalments, key=lambda i: i[0]), start=1):
        amount = quantize(amount, places)
        if amount <= 0:
            raise ValidationError(
                _("Every instalment needs an amount above zero."), code="instalment_amount"
            )
        rows.append(Instalment(contract=contract, position=position, due_date=due, amount=amount))
    check_plan_sum(contract, [r.amount for r in rows])
    for row in rows:
        row.full_clean(exclude=["contract"])
    audited_bulk_delete(contract.instalments.all())
    audited_bulk_create(Instalment, rows)
    return list(contract.instalments.all())


def _contract_move(contract: Contract, to: str, allowed: tuple[str, ...]) -> Contract:
    contract = Contract.objects.select_for_update().get(pk=contract.pk)
    if contract.status not in allowed:
        raise ValidationError(
            _("A contract that is %(from)s cannot become %(to)s.")
            % {"from": contract.get_status_display(), "to": Contract.Status(to).label},
            code=OrderError.TRANSITION,
        )
    contract.status = to
    return contract


@transaction.atomic
def activate_contract(
    contract: Contract, *, user, signed_on: datetime.date | None = None
) -> Contract:
    """Draft → active (signed): from now on the customer owes its payment plan."""
    contract = _contract_move(contract, Contract.Status.ACTIVE, (Contract.Status.DRAFT,))
    check_plan_sum(contract)
    contract.signed_on = signed_on or contract.signed_on or timezone.localdate()
    contract.save()
    return contract


@transaction.atomic
def terminate_contract(contract: Contract, *, user) -> Contract:
    contract = _contract_move(
        contract, Contract.Status.TERMINATED, (Contract.Status.DRAFT, Contract.Status.ACTIVE)
    )
    contract.save()
    return contract


def expire_contracts(today: datetime.date | None = None) -> int:
    """Active contracts past their end date become expired (nightly)."""
    today = today or timezone.localdate()
    n = 0
    for contract in Contract.objects.filter(status=Contract.Status.ACTIVE, end_date__lt=today):
        with transaction.atomic():
            contract.status = Contract.Status.EXPIRED
            contract.save()
            n += 1
    return n


def renewal_reminders(today: datetime.date | None = None, days: int | None = None) -> int:
    """Tell each owner, once, that an active contract ends within ``days`` days (default: the
    system parameter *days before a contract ends to remind of its renewal*)."""
    from kehu.core.actions import notify

    today = today or timezone.localdate()
    days = get_params().contract_renewal_days if days is None else days
    horizon = today + datetime.timedelta(days=days)
    sent = 0
    qs = Contract.objects.filter(
        status=Contract.Status.ACTIVE, end_date__gte=today, end_date__lte=horizon
    ).select_related("owner", "customer")
    for contract in qs:
        sent += notify(
            recipients=[contract.owner],
            title=_("Contract %(number)s ends on %(date)s: time to renew")
            % {"number": contract.number, "date": contract.end_date.isoformat()},
            body=f"{contract.customer} · {contract.title}",
            link=contract.get_absolute_url(),
            kind="sales.contract_renewal",
            dedupe_key=f"sales.renewal:{contract.pk}:{contract.end_date.isoformat()}",
        )
    return sent


def booked_orders():
    """Orders that count as booked (confirmed and later, not cancelled)."""
    return SalesOrder.objects.filter(status__in=BOOKED_STATUSES)

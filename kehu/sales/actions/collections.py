"""Collections (收款): payments and reversals, what each customer still owes, receivables ageing
and due reminders.

**What is receivable.** Three kinds of item, each with an amount, a due date and the net payments
against it (a reversal and the payment it reverses cancel out):

- a sales order that is confirmed or later (not cancelled) and not under a contract: its total,
  due on ``payment_due``;
- an instalment of an active or expired contract: its amount, due on its due date;
- an active or expired contract without a payment plan: its amount, due on its start date.

An order under a contract is paid through the contract (its payment plan), never twice.
The open amount of an item is its amount less its net payments; it is never negative because
a payment above the open amount is refused.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import (
    Case,
    CharField,
    DecimalField,
    Exists,
    F,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kehu.core.fields import MONEY_DECIMAL_PLACES, MONEY_MAX_DIGITS, quantize
from kehu.core.numbering import take_numbers
from kehu.system.params import get_params

from ..models import Contract, Instalment, Payment, SalesOrder
from ..models.orders import BOOKED_STATUSES, RECEIVABLE_CONTRACT_STATUSES
from .orders import field_error

PAYMENT_NUMBER_PATTERN = "SK{YYYY}{MM}-{seq:5}"
MONEY = DecimalField(max_digits=MONEY_MAX_DIGITS, decimal_places=MONEY_DECIMAL_PLACES)
ZERO = Decimal("0")


class PaymentError(StrEnum):
    TARGET = "payment_target"
    NOT_RECEIVABLE = "not_receivable"
    INSTALMENT_REQUIRED = "instalment_required"
    AMOUNT = "payment_amount"
    OVER_OPEN = "payment_above_open_amount"
    CURRENCY_MISMATCH = "currency_mismatch"
    ALREADY_REVERSED = "already_reversed"
    NOT_EDITABLE = "payment_not_editable"


def _paid(**filters) -> Subquery:
    """Net payments of the outer row (a correlated sum, 0 when none)."""
    qs = (
        Payment.objects.filter(**filters)
        .order_by()
        .values(*filters.keys())
        .annotate(s=Sum("amount"))
        .values("s")
    )
    return Coalesce(Subquery(qs, output_field=MONEY), Value(ZERO), output_field=MONEY)


def _places() -> int:
    return get_params().order_amount_decimals


def paid_on_order(order: SalesOrder) -> Decimal:
    return Payment.objects.filter(order=order).aggregate(s=Sum("amount"))["s"] or ZERO


def paid_on_instalment(instalment: Instalment) -> Decimal:
    return Payment.objects.filter(instalment=instalment).aggregate(s=Sum("amount"))["s"] or ZERO


def paid_on_contract(contract: Contract) -> Decimal:
    return Payment.objects.filter(contract=contract).aggregate(s=Sum("amount"))["s"] or ZERO


# --- The three kinds of receivable, as querysets with ``amount_due``, ``paid``, ``due`` ----------


def order_receivables(base=None):
    qs = SalesOrder.objects.all() if base is None else base
    return qs.filter(status__in=BOOKED_STATUSES, contract__isnull=True).annotate(
        amount_due=F("total"),
        paid=_paid(order=OuterRef("pk")),
        due=F("payment_due"),
        r_customer=F("customer_id"),
        r_owner=F("owner_id"),
        r_department=F("department_id"),
    )


def instalment_receivables(base=None):
    qs = Instalment.objects.all() if base is None else base
    return qs.filter(contract__status__in=RECEIVABLE_CONTRACT_STATUSES).annotate(
        amount_due=F("amount"),
        paid=_paid(instalment=OuterRef("pk")),
        due=F("due_date"),
        r_customer=F("contract__customer_id"),
        r_owner=F("contract__owner_id"),
        r_department=F("contract__department_id"),
    )


def contract_receivables(base=None):
    """Contracts without a payment plan (one amount due at the start)."""
    qs = Contract.objects.all() if base is None else base
    return (
        qs.filter(status__in=RECEIVABLE_CONTRACT_STATUSES)
        .filter(~Exists(Instalment.objects.filter(contract=OuterRef("pk"))))
        .annotate(
            amount_due=F("amount"),
            paid=_paid(contract=OuterRef("pk")),
            due=F("start_date"),
            r_customer=F("customer_id"),
            r_owner=F("owner_id"),
            r_department=F("department_id"),
        )
    )


def receivable_querysets(user=None) -> list:
    """The three receivable querysets, restricted to what ``user`` may see (all: ``None``)."""
    if user is None:
        return [order_receivables(), instalment_receivables(), contract_receivables()]
    return [
        order_receivables(SalesOrder.objects.visible_to(user)),
        instalment_receivables(Instalment.objects.visible_to(user)),
        contract_receivables(Contract.objects.visible_to(user)),
    ]


def customer_open_receivables(customer_id: int, *, exclude_order: int | None = None) -> Decimal:
    """Everything the customer still owes, due or not, whoever's records they are (the credit
    check must not depend on who confirms)."""
    total = ZERO
    for qs in receivable_querysets():
        qs = qs.filter(r_customer=customer_id)
        if exclude_order and qs.model is SalesOrder:
            qs = qs.exclude(pk=exclude_order)
        total += qs.aggregate(s=Sum(F("amount_due") - F("paid"), output_field=MONEY))["s"] or ZERO
    return total


# --- Ageing -------------------------------------------------------------------------------------

BUCKETS = (
    ("current", gettext_lazy("Not yet due")),
    ("d0_30", gettext_lazy("0-30 days")),
    ("d31_60", gettext_lazy("31-60 days")),
    ("d61_90", gettext_lazy("61-90 days")),
    ("d90", gettext_lazy("Over 90 days")),
)


@dataclass
class AgeingRow:
    key: int | None
    label: str = ""
    buckets: dict[str, Decimal] = field(default_factory=dict)

    @property
    def total(self) -> Decimal:
        return sum(self.buckets.values(), ZERO)

    @property
    def overdue(self) -> Decimal:
        return self.total - self.buckets.get("current", ZERO)

    def cells(self) -> list[Decimal]:
        return [self.buckets.get(k, ZERO) for k, _label in BUCKETS]


GROUPS = {"customer": "r_customer", "owner": "r_owner", "department": "r_department"}


@dataclass(frozen=True)
class _Kind:
    """How one kind of receivable is read for the ageing: its rows, amount, due date, grouping
    columns and the path from a payment to it."""

    model: type
    amount: str
    due: str
    keys: dict[str, str]
    link: str
    dept_path: str

    def base(self, user):
        qs = self.model.objects.visible_to(user)
        if self.model is SalesOrder:
            return qs.filter(status__in=BOOKED_STATUSES, contract__isnull=True)
        if self.model is Instalment:
            return qs.filter(contract__status__in=RECEIVABLE_CONTRACT_STATUSES)
        return qs.filter(status__in=RECEIVABLE_CONTRACT_STATUSES).filter(
            ~Exists(Instalment.objects.filter(contract=OuterRef("pk")))
        )


KINDS = (
    _Kind(
        SalesOrder,
        "total",
        "payment_due",
        {"customer": "customer_id", "owner": "owner_id", "department": "department_id"},
        "order",
        "department__path",
    ),
    _Kind(
        Instalment,
        "amount",
        "due_date",
        {
            "customer": "contract__customer_id",
            "owner": "contract__owner_id",
            "department": "contract__department_id",
        },
        "instalment",
        "contract__department__path",
    ),
    _Kind(
        Contract,
        "amount",
        "start_date",
        {"customer": "customer_id", "owner": "owner_id", "department": "department_id"},
        "contract",
        "department__path",
    ),
)


def _bucket_case(due: str, as_of: datetime.date) -> Case:
    """The bucket of days past due on ``as_of`` of the date column ``due``, in SQL."""
    d30, d60, d90 = (as_of - datetime.timedelta(days=n) for n in (30, 60, 90))
    return Case(
        When(Q(**{f"{due}__gte": as_of}) | Q(**{f"{due}__isnull": True}), then=Value("current")),
        When(**{f"{due}__gte": d30}, then=Value("d0_30")),
        When(**{f"{due}__gte": d60}, then=Value("d31_60")),
        When(**{f"{due}__gte": d90}, then=Value("d61_90")),
        default=Value("d90"),
        output_field=CharField(),
    )


def ageing(
    user, *, by: str = "customer", as_of: datetime.date | None = None, department=None
) -> list[AgeingRow]:
    """Open receivables the user may see, grouped by customer, owner or department, in buckets
    of days past due on ``as_of`` (default today); ``department`` narrows to its subtree.

    Per kind of receivable, two grouped queries: amounts by (group, bucket) and net payments
    by (group, bucket); open = amount - paid per (group, bucket), exact because every item's
    open amount is at least zero and its bucket depends only on its due date."""
    as_of = as_of or timezone.localdate()
    by = by if by in GROUPS else "customer"
    rows: dict[int, AgeingRow] = {}
    for kind in KINDS:
        base = kind.base(user)
        if department is not None:
            base = base.filter(**{f"{kind.dept_path}__startswith": department.path})
        key = kind.keys[by]
        owed = (
            base.order_by()
            .annotate(bucket=_bucket_case(kind.due, as_of))
            .values_list(key, "bucket")
            .annotate(s=Sum(kind.amount))
        )
        paid = (
            Payment.objects.filter(**{f"{kind.link}__in": base.values("pk")})
            .order_by()
            .annotate(bucket=_bucket_case(f"{kind.link}__{kind.due}", as_of))
            .values_list(f"{kind.link}__{key}", "bucket")
            .annotate(s=Sum("amount"))
        )
        if kind.model is Contract:
            paid = paid.filter(instalment__isnull=True)
        for sign, result in ((1, owed), (-1, paid)):
            for group, bucket, amount in result:
                row = rows.setdefault(group, AgeingRow(key=group))
                row.buckets[bucket] = row.buckets.get(bucket, ZERO) + sign * (amount or ZERO)
    out = [r for r in rows.values() if r.total != 0]
    _label_rows(out, by)
    places = _places()
    for row in out:
        row.buckets = {k: quantize(row.buckets.get(k, ZERO), places) for k, _l in BUCKETS}
    out.sort(key=lambda r: (-r.overdue, -r.total, r.label))
    return out


def _label_rows(rows: list[AgeingRow], by: str) -> None:
    from kehu.customers.models import Customer
    from kehu.system.models import Department, User

    model = {"owner": User, "department": Department}.get(by, Customer)
    ids = [r.key for r in rows if r.key is not None]
    names = {obj.pk: str(obj) for obj in model._base_manager.filter(pk__in=ids)}
    for row in rows:
        row.label = names.get(row.key, "—")


def ageing_totals(rows: list[AgeingRow]) -> AgeingRow:
    total = AgeingRow(key=None, label=_("Total"))
    for bucket, _label in BUCKETS:
        total.buckets[bucket] = sum((r.buckets.get(bucket, ZERO) for r in rows), ZERO)
    return total


def receivables_due(user, *, within_days: int = 30, limit: int = 10) -> list[dict]:
    """Open items due soon or overdue that ``user`` may see (the data of a "receivables due"
    dashboard card): customer, document, due date, open amount; most urgent first."""
    horizon = timezone.localdate() + datetime.timedelta(days=within_days)
    items = []
    for qs in receivable_querysets(user):
        qs = qs.annotate(open=F("amount_due") - F("paid")).filter(open__gt=0, due__lte=horizon)
        for obj in qs.order_by("due", "pk")[:limit]:
            items.append(_item(obj))
    items.sort(key=lambda i: (i["due"] or datetime.date.max, i["label"]))
    return items[:limit]


def _item(obj) -> dict:
    if isinstance(obj, Instalment):
        contract = obj.contract
        label = f"{contract.number} #{obj.position}"
        url, customer = contract.get_absolute_url(), contract.customer
    else:
        label, url, customer = obj.number, obj.get_absolute_url(), obj.customer
    return {
        "label": label,
        "url": url,
        "customer": customer,
        "due": obj.due,
        "open": quantize(obj.open, _places()),
        "owner_id": obj.r_owner,
        "key": f"{type(obj).__name__.lower()}:{obj.pk}",
    }


def due_reminders(today: datetime.date | None = None) -> int:
    """Daily: every open item falling due within the system parameter's number of days (应收款提前
    提醒天数) is announced once in its owner's inbox."""
    from kehu.core.actions import notify
    from kehu.system.models import User

    today = today or timezone.localdate()
    days = get_params().receivable_reminder_days
    horizon = today + datetime.timedelta(days=days)
    sent = 0
    for qs in receivable_querysets():
        qs = qs.annotate(open=F("amount_due") - F("paid")).filter(
            open__gt=0, due__gte=today, due__lte=horizon
        )
        if qs.model is Instalment:
            qs = qs.select_related("contract__customer")
        else:
            qs = qs.select_related("customer")
        for obj in qs.iterator(chunk_size=500):
            item = _item(obj)
            owner = User.objects.filter(pk=item["owner_id"]).first()
            if owner is None:
                continue
            sent += notify(
                recipients=[owner],
                title=_("%(document)s: %(amount)s due on %(date)s")
                % {"document": item["label"], "amount": item["open"], "date": item["due"]},
                body=str(item["customer"]),
                link=item["url"],
                kind="sales.receivable_due",
                due_at=None,
                dedupe_key=f"sales.due:{item['key']}:{item['due'].isoformat()}",
            )
    return sent


# --- Payments -----------------------------------------------------------------------------------


def take_payment_number() -> str:
    return take_numbers(
        PAYMENT_NUMBER_PATTERN,
        1,
        queryset=Payment.objects.all(),
        field="number",
        label="sales.payment",
    )[0]


def open_amount(*, order=None, contract=None, instalment=None) -> Decimal:
    """What is still owed on one receivable item."""
    if instalment is not None:
        return instalment.amount - paid_on_instalment(instalment)
    if order is not None:
        return order.total - paid_on_order(order)
    return contract.amount - paid_on_contract(contract)


@transaction.atomic
def record_payment(
    *,
    user,
    amount: Decimal,
    paid_on: datetime.date | None = None,
    order: SalesOrder | None = None,
    contract: Contract | None = None,
    instalment: Instalment | None = None,
    currency: str = "",
    method: str = Payment.Method.TRANSFER,
    reference: str = "",
    note: str = "",
) -> Payment:
    """Money received against an order, a contract or one of its instalments, up to what is
    still open there (partial payments are fine). The payment belongs to the document's owner
    at this moment: that person earns the commission on it."""
    if instalment is not None:
        if contract is not None and instalment.contract_id != contract.pk:
            raise field_error(
                "instalment", _("This instalment belongs to another contract."), PaymentError.TARGET
            )
        contract = instalment.contract
    if (order is None) == (contract is None):
        raise ValidationError(
            _("Record the payment against one order or one contract."), code=PaymentError.TARGET
        )
    if order is not None:
        target = SalesOrder.objects.select_for_update().get(pk=order.pk)
        if target.contract_id:
            raise field_error(
                "order",
                _(
                    "This order is under contract %(number)s: record the payment against "
                    "the contract."
                )
                % {"number": target.contract.number},
                PaymentError.TARGET,
            )
        if target.status not in BOOKED_STATUSES:
            raise field_error(
                "order",
                _("Payments are recorded on confirmed orders only."),
                PaymentError.NOT_RECEIVABLE,
            )
        order = target
    else:
        target = Contract.objects.select_for_update().get(pk=contract.pk)
        if target.status not in RECEIVABLE_CONTRACT_STATUSES:
            raise field_error(
                "contract",
                _("Payments are recorded on active or expired contracts only."),
                PaymentError.NOT_RECEIVABLE,
            )
        if instalment is None and target.instalments.exists():
            raise field_error(
                "instalment",
                _("This contract has a payment plan: choose the instalment the payment is for."),
                PaymentError.INSTALMENT_REQUIRED,
            )
        contract = target
    places = get_params().order_amount_decimals
    if amount is None or amount <= 0:
        raise field_error("amount", _("The amount must be above zero."), PaymentError.AMOUNT)
    amount = quantize(amount, places)
    currency = (currency or target.currency or get_params().currency).upper()
    if target.currency and currency != target.currency:
        raise field_error(
            "currency",
            _("Currency mismatch: the payment is in %(theirs)s, %(ours)s owed.")
            % {"theirs": currency, "ours": target.currency},
            PaymentError.CURRENCY_MISMATCH,
        )
    still_open = open_amount(order=order, contract=contract, instalment=instalment)
    if amount > still_open:
        raise field_error(
            "amount",
            _(
                "The payment of %(amount)s is above the open amount of %(open)s: record at "
                "most what is still owed."
            )
            % {"amount": amount, "open": quantize(still_open, places)},
            PaymentError.OVER_OPEN,
        )
    payment = Payment(
        number=take_payment_number(),
        customer_id=target.customer_id,
        order=order,
        contract=contract,
        instalment=instalment,
        amount=amount,
        currency=currency,
        paid_on=paid_on or timezone.localdate(),
        method=method or Payment.Method.TRANSFER,
        reference=reference or "",
        note=note or "",
        owner_id=target.owner_id,
        department_id=target.department_id,
    )
    payment.full_clean()
    payment.save()
    return payment


#: What an edit may change on a recorded payment; the money itself is changed by a reversal.
PAYMENT_DETAILS = ("method", "reference", "note")


@transaction.atomic
def update_payment_details(payment: Payment, *, user) -> Payment:
    """Correct how a payment was made (method, reference, note); its amount, date, currency and
    what it paid are fixed once recorded (reverse it and record the right one instead)."""
    stored = Payment.objects.select_for_update().get(pk=payment.pk)
    fixed = ("amount", "paid_on", "currency", "order_id", "contract_id", "instalment_id")
    changed = [f for f in fixed if getattr(stored, f) != getattr(payment, f)]
    if changed:
        raise ValidationError(
            _(
                "A recorded payment's amount, date, currency and document cannot change: "
                "reverse it and record the right one."
            ),
            code=PaymentError.NOT_EDITABLE,
        )
    for name in PAYMENT_DETAILS:
        setattr(stored, name, getattr(payment, name))
    stored.version = payment.version
    stored.full_clean()
    stored.save()
    return stored


@transaction.atomic
def reverse_payment(payment: Payment, *, user, note: str = "") -> Payment:
    """Undo a payment by recording its opposite (never by deleting it): the original and its
    reversal cancel out in receivables, targets and commissions."""
    payment = Payment.objects.select_for_update().get(pk=payment.pk)
    if payment.reverses_id is not None:
        raise ValidationError(
            _("A reversal cannot be reversed; record a new payment instead."),
            code=PaymentError.ALREADY_REVERSED,
        )
    if Payment.objects.filter(reverses=payment).exists():
        raise ValidationError(
            _("This payment has already been reversed."), code=PaymentError.ALREADY_REVERSED
        )
    reversal = Payment(
        number=take_payment_number(),
        customer_id=payment.customer_id,
        order_id=payment.order_id,
        contract_id=payment.contract_id,
        instalment_id=payment.instalment_id,
        amount=-payment.amount,
        currency=payment.currency,
        paid_on=timezone.localdate(),
        method=payment.method,
        reference=payment.reference,
        note=(note or _("Reversal of %(number)s") % {"number": payment.number})[:300],
        reverses=payment,
        owner_id=payment.owner_id,
        department_id=payment.department_id,
    )
    reversal.save()
    return reversal


def effective_payments(qs=None):
    """Payments that stand: neither reversed nor a reversal (commissions and targets count these;
    receivables net both entries, which comes to the same)."""
    qs = Payment.objects.all() if qs is None else qs
    return qs.filter(reverses__isnull=True).exclude(
        Exists(Payment.objects.filter(reverses=OuterRef("pk")))
    )

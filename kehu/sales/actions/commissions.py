"""Commissions (佣金) on **collected** money (payments, not bookings).

**Who earns.** A payment belongs to the owner of its order or contract when it was recorded
(``Payment.owner``); that employee earns the commission on it.

**What a payment is for.** A payment on an order is spread over the order's lines in proportion to
their line totals (the last line takes the rounding remainder, so the parts add up to the payment
exactly). A payment on a contract counts as "all products" (no product, no category).

**Which rule.** Among the active rules that match (employee = this employee or empty; role = one of
the employee's roles or empty; product = this product or empty; category = the product's category
or one above it, or empty), the most specific wins, compared in this order:

1. who: a rule for the employee beats a rule for their role, which beats a rule for everyone;
2. what: a rule for the product beats a rule for its category (a deeper category beats a higher
   one), which beats a rule for all products;
3. ties: the rule created first.

**Which rate.** A flat rule pays ``rate`` %. A tiered rule (``0=2; 100000=3; 500000=4``) pays the
rate of the highest threshold reached by the employee's total collected in the period (the month of
the statement), on the whole amount.

**Reversals.** A reversed payment and its reversal are both left out (the payment no longer
stands): reversing a payment recalculates the statement of the month it was paid in.
Statements are computed from the payments each time, never stored.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from kehu.core.fields import quantize
from kehu.system.params import get_params

from ..models import CommissionRule, Payment, SalesOrderLine
from .collections import effective_payments
from .orders import field_error

ZERO = Decimal("0")
HUNDRED = Decimal("100")


def parse_tiers(text: str) -> list[tuple[Decimal, Decimal]]:
    """``"0=2; 100000=3"`` → [(0, 2), (100000, 3)], thresholds ascending; ValueError if bad."""
    tiers = []
    for part in (text or "").replace("；", ";").replace(",", ";").split(";"):
        part = part.strip()
        if not part:
            continue
        threshold, _sep, rate = part.partition("=")
        t, r = Decimal(threshold.strip()), Decimal(rate.strip())
        if not (t.is_finite() and r.is_finite()) or t < 0 or not 0 <= r <= HUNDRED:
            raise ValueError(part)
        tiers.append((t, r))
    tiers.sort()
    return tiers


@transaction.atomic
def save_rule(rule: CommissionRule, *, user) -> CommissionRule:
    if rule.employee_id and rule.role_id:
        raise ValidationError(
            _("A rule is for one employee or one role, not both."), code="rule_who"
        )
    if rule.rate is None:
        rule.rate = ZERO
    if not ZERO <= rule.rate <= HUNDRED:
        raise field_error("rate", _("The rate must be between 0 and 100 %."), "rate_range")
    try:
        parse_tiers(rule.tiers)
    except (ValueError, ArithmeticError):
        raise field_error(
            "tiers",
            _(
                "Write tiers as threshold=rate separated by “;”, e.g. “0=2; 100000=3”, "
                "with rates between 0 and 100."
            ),
            "tiers",
        ) from None
    rule.full_clean()
    rule.save()
    return rule


@dataclass
class RuleBook:
    """The active rules, loaded once per statement, and the choice among them."""

    rules: list[CommissionRule]

    @classmethod
    def load(cls) -> RuleBook:
        return cls(list(CommissionRule.objects.filter(is_active=True).select_related("category")))

    def rule_for(self, *, employee_id: int, role_ids: set[int], product=None):
        best, best_key = None, None
        cat_path = product.category.path if product is not None and product.category_id else None
        for rule in self.rules:
            if rule.employee_id and rule.employee_id != employee_id:
                continue
            if rule.role_id and rule.role_id not in role_ids:
                continue
            if rule.product_id and (product is None or rule.product_id != product.pk):
                continue
            if rule.category_id and not (cat_path and cat_path.startswith(rule.category.path)):
                continue
            who = 2 if rule.employee_id else 1 if rule.role_id else 0
            what = 2 if rule.product_id else 1 if rule.category_id else 0
            depth = rule.category.depth if rule.category_id else -1
            key = (who, what, depth, -rule.pk)
            if best_key is None or key > best_key:
                best, best_key = rule, key
        return best


def rate_of(rule: CommissionRule | None, period_total: Decimal) -> Decimal:
    if rule is None:
        return ZERO
    tiers = parse_tiers(rule.tiers) if rule.tiers else []
    if not tiers:
        return rule.rate
    rate = ZERO
    for threshold, tier_rate in tiers:
        if period_total >= threshold:
            rate = tier_rate
    return rate


@dataclass
class StatementLine:
    payment: Payment
    product: object | None
    amount: Decimal
    rule: CommissionRule | None
    rate: Decimal
    commission: Decimal


@dataclass
class Statement:
    employee: object
    year: int
    month: int
    lines: list[StatementLine] = field(default_factory=list)
    collected: Decimal = ZERO
    commission: Decimal = ZERO
    payments: int = 0


def month_range(year: int, month: int) -> tuple[datetime.date, datetime.date]:
    start = datetime.date(year, month, 1)
    end = datetime.date(year + (month == 12), month % 12 + 1, 1)
    return start, end


def allocate(amount: Decimal, weights: list[Decimal], places: int) -> list[Decimal]:
    """``amount`` spread over ``weights`` proportionally, rounded; the parts add up exactly."""
    total = sum(weights, ZERO)
    if not weights:
        return []
    if total == 0:
        weights, total = [Decimal("1")] * len(weights), Decimal(len(weights))
    parts = [quantize(amount * w / total, places) for w in weights[:-1]]
    return [*parts, amount - sum(parts, ZERO)]


def statement(employee, year: int, month: int, *, payments=None) -> Statement:
    """The month's commission of one employee, line by line (payment × product)."""
    start, end = month_range(year, month)
    places = get_params().order_amount_decimals
    qs = payments if payments is not None else Payment.objects.all()
    pays = list(
        effective_payments(qs)
        .filter(owner=employee, paid_on__gte=start, paid_on__lt=end)
        .select_related("customer", "order", "contract")
        .order_by("paid_on", "id")
    )
    result = Statement(employee=employee, year=year, month=month, payments=len(pays))
    result.collected = sum((p.amount for p in pays), ZERO)
    book = RuleBook.load()
    role_ids = set(employee.roles.values_list("pk", flat=True))
    order_ids = {p.order_id for p in pays if p.order_id}
    lines_by_order: dict[int, list[SalesOrderLine]] = {}
    for line in (
        SalesOrderLine.objects.filter(order_id__in=order_ids)
        .select_related("product__category")
        .order_by("order_id", "position", "id")
    ):
        lines_by_order.setdefault(line.order_id, []).append(line)
    rule_cache: dict[int | None, CommissionRule | None] = {}

    def rule_for(product):
        key = product.pk if product is not None else None
        if key not in rule_cache:
            rule_cache[key] = book.rule_for(
                employee_id=employee.pk, role_ids=role_ids, product=product
            )
        return rule_cache[key]

    for pay in pays:
        lines = lines_by_order.get(pay.order_id, []) if pay.order_id else []
        if lines:
            parts = allocate(pay.amount, [ln.line_total for ln in lines], places)
            pieces = [(ln.product, part) for ln, part in zip(lines, parts, strict=True)]
        else:
            pieces = [(None, pay.amount)]
        for product, part in pieces:
            rule = rule_for(product)
            rate = rate_of(rule, result.collected)
            commission = quantize(part * rate / HUNDRED, places)
            result.lines.append(StatementLine(pay, product, part, rule, rate, commission))
            result.commission += commission
    return result


def statements_for(employees, year: int, month: int) -> list[Statement]:
    return [statement(e, year, month) for e in employees]

"""Customer lifetime value and churn loss with the formulas of the product documents.

Plain functions of plain numbers (``Decimal`` in, ``Decimal`` out), so the CRM's pages, the API
and ``kehu analytics clv`` compute the same figures, and a test can check each against a
hand-worked example. The symbols follow the documents (PRODUCT.md, "6. Analytics"):

- individual value ``V = Σ_{t=1..T} (Q_t − C_t)·(1+i)^−t`` (``Q_t`` revenue and ``C_t`` cost of
  serving the customer in period t, ``i`` the discount rate per period);
- lifetime ``T = 1 / churn rate``;
- group value in the annuity form: ``N · m · (1 − (1+i)^−T) / i`` for N customers with margin m
  per period over T periods;
- the loss from one churned customer ``V_l = C_t + (V_k − V_t)``: what was spent to win them
  plus the value they would still have brought (expected value ``V_k`` minus what was realised
  ``V_t``);
- the loss from churn in a group ``V_{q,l} = N · r_l · V_k``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from decimal import Decimal

__all__ = [
    "FormulaInputError",
    "churn_loss",
    "group_churn_loss",
    "group_value",
    "individual_value",
    "lifetime",
]


class FormulaInputError(ValueError):
    """An input the formulas cannot take (a churn rate outside (0, 1], a negative rate …)."""


def _dec(value) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(str(value))


def individual_value(revenues: Sequence, costs: Sequence | None = None, *, rate) -> Decimal:
    """``V = Σ (Q_t − C_t)(1+i)^−t`` for t = 1..T: the margins discounted to today; period 1 is
    discounted once (the documents count from the end of the first period)."""
    rate = _dec(rate)
    if rate <= -1:
        raise FormulaInputError("the discount rate must be greater than -100%")
    costs = costs if costs is not None else [0] * len(revenues)
    if len(costs) != len(revenues):
        raise FormulaInputError("revenues and costs need one value per period each")
    total = Decimal(0)
    factor = Decimal(1) / (1 + rate)
    discount = Decimal(1)
    for revenue, cost in zip(revenues, costs, strict=True):
        discount *= factor
        total += (_dec(revenue) - _dec(cost)) * discount
    return total


def lifetime(churn_rate) -> Decimal:
    """``T = 1 / r``: the expected number of periods a customer stays when a share r of
    customers leaves each period (a constant churn rate, geometric lifetimes)."""
    churn_rate = _dec(churn_rate)
    if not 0 < churn_rate <= 1:
        raise FormulaInputError("the churn rate is a share of customers per period, in (0, 1]")
    return 1 / churn_rate


def group_value(*, customers: int, margin, rate, churn_rate) -> Decimal:
    """The value of a group of N customers who each bring ``margin`` per period for T = 1/r
    periods, discounted: the annuity ``N · m · (1 − (1+i)^−T) / i`` (``N · m · T`` when i = 0).
    T need not be whole: the annuity formula is used as the documents write it."""
    rate = _dec(rate)
    periods = lifetime(churn_rate)
    margin = _dec(margin)
    if rate == 0:
        return customers * margin * periods
    if rate <= -1:
        raise FormulaInputError("the discount rate must be greater than -100%")
    discount = Decimal(str(math.pow(1 + float(rate), -float(periods))))
    return customers * margin * (1 - discount) / rate


def churn_loss(*, acquisition_cost, expected_value, realised_value) -> Decimal:
    """``V_l = C_t + (V_k − V_t)``: losing one customer loses what winning them cost and the
    value they had still to bring."""
    return _dec(acquisition_cost) + (_dec(expected_value) - _dec(realised_value))


def group_churn_loss(*, customers: int, churn_rate, customer_value) -> Decimal:
    """``V_{q,l} = N · r_l · V_k``: a group of N customers losing a share r_l, each worth V_k."""
    churn_rate = _dec(churn_rate)
    if not 0 <= churn_rate <= 1:
        raise FormulaInputError("the churn rate is a share of customers, in [0, 1]")
    return customers * churn_rate * _dec(customer_value)

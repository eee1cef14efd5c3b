"""Sequential patterns (cross-sell over time: "customers who bought A later bought B").

Association rules look inside one basket; a sequential pattern looks along a customer's
orders: ⟨A, B⟩ holds for a customer who bought A in one order and B in a *later* one (same day
counts as the same order). Patterns are mined with PrefixSpan (Pei et al. 2001) over each
customer's sequence of orders, one item a step: a pattern's projected database is, for each
customer, the index of the order where the pattern's last step was first matched, and the
pattern grows by items bought after that order. Support is a share of customers (not of
orders), so a customer who repeats the sequence counts once.

For a pattern ⟨s₁ … sₖ⟩ the rule "⟨s₁ … sₖ₋₁⟩ → later sₖ" has
confidence = support(pattern) / support(prefix) and lift = confidence / support(⟨sₖ⟩); the
gap is the median number of days between the orders matching sₖ₋₁ and sₖ (first matches), so
a salesperson knows not just what comes next but when.

Why not the ``prefixspan`` package: it mines sequences of single items, so a basket of several
products would have to be flattened into an arbitrary order (a false "A then B" for items of
one order), and it gives neither the order dates nor the gap.
"""

from __future__ import annotations

import bisect
import datetime
import statistics
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

__all__ = ["SequenceRule", "customer_sequences", "frequent_sequences", "sequence_rules"]


class SequenceInputError(ValueError):
    """A threshold or an input row the miner cannot use (shown to the user as is)."""


@dataclass(frozen=True)
class SequenceRule:
    antecedent: tuple[str, ...]  # bought in this order …
    consequent: str  # … then later this
    support: float  # share of customers with the whole sequence
    confidence: float  # P(later consequent | antecedent sequence)
    lift: float  # confidence / P(consequent at all)
    count: int  # customers with the whole sequence
    gap_days: float | None  # median days from the last antecedent to the consequent


@dataclass
class _Customer:
    dates: list[datetime.date]  # one per order, ascending
    positions: dict[str, list[int]]  # item → indexes of the orders holding it, ascending


def customer_sequences(
    rows: Iterable[tuple[str, datetime.date, str]],
) -> list[_Customer]:
    """Each customer's orders from (customer, date, item) rows in any order; the items of one
    customer on one day are one order."""
    orders: dict[str, dict[datetime.date, set[str]]] = defaultdict(lambda: defaultdict(set))
    for customer, date, item in rows:
        orders[customer][date].add(item)
    out = []
    for days in orders.values():
        dates = sorted(days)
        positions: dict[str, list[int]] = defaultdict(list)
        for i, day in enumerate(dates):
            for item in days[day]:
                positions[item].append(i)
        out.append(_Customer(dates, dict(positions)))
    return out


def frequent_sequences(
    customers: list[_Customer], *, min_support: float, max_length: int = 3
) -> dict[tuple[str, ...], tuple[int, list[float]]]:
    """Every sequence of at most ``max_length`` steps held by ≥ ``min_support`` of the
    customers: pattern → (customers, gaps in days between its last two steps)."""
    if not 0 < min_support <= 1:
        raise SequenceInputError("min_support is a share of customers, above 0 and at most 1")
    if max_length < 1:
        raise SequenceInputError("max_length is at least 1")
    need = max(1, -(-min_support * len(customers) // 1))  # ceil without float drift at 1.0
    found: dict[tuple[str, ...], tuple[int, list[float]]] = {}

    def grow(pattern: tuple[str, ...], projected: list[tuple[int, int]]) -> None:
        counts: dict[str, list[tuple[int, int]]] = defaultdict(list)
        for c, at in projected:
            for item, where in customers[c].positions.items():
                nxt = bisect.bisect_right(where, at)
                if nxt < len(where):
                    counts[item].append((c, at))
        for item, holders in counts.items():
            if len(holders) < need:
                continue
            new = (*pattern, item)
            moved, gaps = [], []
            for c, at in holders:
                where = customers[c].positions[item]
                j = where[bisect.bisect_right(where, at)]
                moved.append((c, j))
                if at >= 0:
                    gaps.append((customers[c].dates[j] - customers[c].dates[at]).days)
            found[new] = (len(moved), gaps)
            if len(new) < max_length:
                grow(new, moved)

    grow((), [(c, -1) for c in range(len(customers))])
    return found


def sequence_rules(
    customers: list[_Customer],
    *,
    min_support: float,
    min_confidence: float,
    max_length: int = 3,
) -> list[SequenceRule]:
    """Rules "bought ⟨A …⟩, later bought B" of the frequent sequences of two steps or more,
    strongest (confidence, then support) first."""
    if not 0 <= min_confidence <= 1:
        raise SequenceInputError("min_confidence lies between 0 and 1")
    n = len(customers)
    if n == 0:
        return []
    found = frequent_sequences(customers, min_support=min_support, max_length=max_length)
    rules = []
    for pattern, (count, gaps) in found.items():
        if len(pattern) < 2:
            continue
        prefix_count = found[pattern[:-1]][0]
        confidence = count / prefix_count
        if confidence < min_confidence:
            continue
        single = found.get((pattern[-1],), (count, []))[0]
        rules.append(
            SequenceRule(
                antecedent=pattern[:-1],
                consequent=pattern[-1],
                support=count / n,
                confidence=confidence,
                lift=confidence / (single / n),
                count=count,
                gap_days=float(statistics.median(gaps)) if gaps else None,
            )
        )
    rules.sort(key=lambda r: (-r.confidence, -r.support, r.antecedent, r.consequent))
    return rules

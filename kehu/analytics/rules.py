"""Association rules (cross-sell: "customers who bought A also bought B") from baskets.

Frequent itemsets by Eclat: each item's baskets are one Python integer used as a bit set, so an
itemset's support is the popcount of an AND — done in C on machine words, thousands of baskets
per operation — and the search goes depth first, extending an itemset only with items after
its last one (each itemset visited once). Rules are every split of a frequent itemset into
antecedent → consequent with the usual measures (Agrawal et al. 1993; Brin et al. 1997 for lift
and conviction), with the same thresholds as mlxtend's ``fpgrowth`` + ``association_rules``
(support ≥ min_support as a share of baskets, confidence ≥ min_confidence), so the rule sets can
be compared one to one.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from dataclasses import dataclass

__all__ = ["Rule", "frequent_itemsets", "rules_from_baskets"]


@dataclass(frozen=True)
class Rule:
    antecedent: tuple[str, ...]
    consequent: tuple[str, ...]
    support: float  # of antecedent ∪ consequent
    confidence: float  # P(consequent | antecedent)
    lift: float  # confidence / P(consequent)
    leverage: float  # P(A ∪ C) − P(A)·P(C)
    conviction: float  # (1 − P(C)) / (1 − confidence); inf for confidence 1
    count: int  # baskets with antecedent ∪ consequent


def _bitsets(baskets: Iterable[Iterable[str]]) -> tuple[dict[str, int], int]:
    bits: dict[str, int] = {}
    n = 0
    for n, basket in enumerate(baskets, start=1):
        mark = 1 << (n - 1)
        for item in set(basket):
            bits[item] = bits.get(item, 0) | mark
    return bits, n


def frequent_itemsets(
    baskets: Iterable[Iterable[str]], *, min_support: float, max_len: int | None = None
) -> tuple[dict[frozenset, int], int]:
    """Every itemset in a share ≥ ``min_support`` of the baskets, with its basket count."""
    if not 0 < min_support <= 1:
        raise ValueError("min_support is a share of baskets, in (0, 1]")
    bits, n = _bitsets(baskets)
    if n == 0:
        return {}, 0
    items = sorted(
        ((item, b) for item, b in bits.items() if b.bit_count() / n >= min_support),
        key=lambda pair: (pair[1].bit_count(), pair[0]),  # rarest first: smaller tid sets deeper
    )
    found: dict[frozenset, int] = {}
    limit = max_len or len(items)

    def grow(prefix: tuple[str, ...], tids: int, start: int) -> None:
        for i in range(start, len(items)):
            item, b = items[i]
            both = tids & b
            count = both.bit_count()
            if count / n < min_support:
                continue
            itemset = (*prefix, item)
            found[frozenset(itemset)] = count
            if len(itemset) < limit:
                grow(itemset, both, i + 1)

    for i, (item, b) in enumerate(items):
        found[frozenset((item,))] = b.bit_count()
        if limit > 1:
            grow((item,), b, i + 1)
    return found, n


def rules_from_baskets(
    baskets: Iterable[Iterable[str]],
    *,
    min_support: float,
    min_confidence: float,
    max_len: int | None = None,
) -> list[Rule]:
    """Rules A → C between frequent itemsets, strongest lift first."""
    if not 0 <= min_confidence <= 1:
        raise ValueError("min_confidence is a probability, in [0, 1]")
    itemsets, n = frequent_itemsets(baskets, min_support=min_support, max_len=max_len)
    rules = []
    for itemset, count in itemsets.items():
        if len(itemset) < 2:
            continue
        for size in range(1, len(itemset)):
            for antecedent in itertools.combinations(sorted(itemset), size):
                a = frozenset(antecedent)
                c = itemset - a
                # every subset of a frequent itemset is frequent: both counts are known
                confidence = count / itemsets[a]
                if confidence < min_confidence:
                    continue
                p_c = itemsets[c] / n
                support = count / n
                rules.append(
                    Rule(
                        antecedent=tuple(sorted(a)),
                        consequent=tuple(sorted(c)),
                        support=support,
                        confidence=confidence,
                        lift=confidence / p_c,
                        leverage=support - (itemsets[a] / n) * p_c,
                        conviction=float("inf")
                        if confidence == 1
                        else (1 - p_c) / (1 - confidence),
                        count=count,
                    )
                )
    rules.sort(key=lambda r: (-r.lift, -r.confidence, -r.support, r.antecedent, r.consequent))
    return rules

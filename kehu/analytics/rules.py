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

import numpy as np
from scipy import sparse

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


def _encode(baskets: Iterable[Iterable[str]], min_support: float):
    """The frequent items, a sparse basket × item matrix of them, and the basket count."""
    ids: dict[str, int] = {}
    cols: list[int] = []
    lengths: list[int] = []
    for basket in baskets:
        items = set(basket)
        lengths.append(len(items))
        cols.extend(ids.setdefault(item, len(ids)) for item in items)
    n = len(lengths)
    if n == 0:
        return [], None, 0
    rows = np.repeat(np.arange(n), lengths)
    matrix = sparse.csc_matrix(
        (np.ones(len(cols), dtype=np.int32), (rows, np.asarray(cols))), shape=(n, len(ids))
    )
    counts = np.asarray(matrix.sum(axis=0)).ravel()
    names = np.array(list(ids), dtype=object)
    keep = np.flatnonzero(counts / n >= min_support)
    # rarest first: deeper levels then AND smaller sets
    keep = keep[np.lexsort((names[keep].astype(str), counts[keep]))]
    return [str(x) for x in names[keep]], matrix[:, keep], n


def _bits(column) -> int:
    flags = np.zeros(column.shape[0], dtype=bool)
    flags[column.indices] = True
    return int.from_bytes(np.packbits(flags, bitorder="little").tobytes(), "little")


def frequent_itemsets(
    baskets: Iterable[Iterable[str]], *, min_support: float, max_len: int | None = None
) -> tuple[dict[frozenset, int], int]:
    """Every itemset in a share ≥ ``min_support`` of the baskets, with its basket count.

    Singles and pairs come from the sparse matrix (one sparse product counts every pair); only
    the frequent pairs are grown further, depth first over bit sets (Eclat)."""
    if not 0 < min_support <= 1:
        raise ValueError("min_support is a share of baskets, in (0, 1]")
    names, matrix, n = _encode(baskets, min_support)
    if n == 0:
        return {}, 0
    found: dict[frozenset, int] = {}
    singles = np.asarray(matrix.sum(axis=0)).ravel()
    for name, count in zip(names, singles, strict=True):
        found[frozenset((name,))] = int(count)
    limit = max_len or len(names)
    if limit < 2 or len(names) < 2:
        return found, n
    pairs = (matrix.T @ matrix).tocoo()
    bits = [_bits(matrix[:, j]) for j in range(len(names))]
    frequent_pairs: dict[int, list[int]] = {}
    for i, j, count in zip(pairs.row, pairs.col, pairs.data, strict=True):
        if i < j and count / n >= min_support:
            found[frozenset((names[i], names[j]))] = int(count)
            frequent_pairs.setdefault(int(i), []).append(int(j))

    def grow(prefix: tuple[int, ...], tids: int, candidates: list[int]) -> None:
        for pos, j in enumerate(candidates):
            both = tids & bits[j]
            count = both.bit_count()
            if count / n < min_support:
                continue
            itemset = (*prefix, j)
            found[frozenset(names[k] for k in itemset)] = count
            if len(itemset) < limit:
                # only items frequent with every member so far can extend it
                rest = [k for k in candidates[pos + 1 :] if k in partners.get(j, ())]
                if rest:
                    grow(itemset, both, rest)

    partners = {i: set(js) for i, js in frequent_pairs.items()}
    if limit > 2:
        for i, js in frequent_pairs.items():
            for pos, j in enumerate(sorted(js)):
                rest = [k for k in sorted(js)[pos + 1 :] if k in partners.get(j, ())]
                if rest:
                    grow((i, j), bits[i] & bits[j], rest)
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

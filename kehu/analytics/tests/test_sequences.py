"""Sequential patterns: a hand-worked example, then the miner against brute force."""

from __future__ import annotations

import datetime
import itertools
import random

import pytest

from kehu.analytics.sequences import (
    SequenceInputError,
    customer_sequences,
    frequent_sequences,
    sequence_rules,
)

D = datetime.date


def _rows():
    # c1: printer (Jan), toner (Mar), toner+paper (May)
    # c2: printer+paper (Jan), toner (Feb)
    # c3: toner (Jan), printer (Apr)          — toner before the printer: no ⟨printer, toner⟩
    # c4: printer (Jan)
    return [
        ("c1", D(2026, 1, 5), "printer"),
        ("c1", D(2026, 3, 6), "toner"),
        ("c1", D(2026, 5, 1), "toner"),
        ("c1", D(2026, 5, 1), "paper"),
        ("c2", D(2026, 1, 10), "printer"),
        ("c2", D(2026, 1, 10), "paper"),
        ("c2", D(2026, 2, 9), "toner"),
        ("c3", D(2026, 1, 2), "toner"),
        ("c3", D(2026, 4, 2), "printer"),
        ("c4", D(2026, 1, 20), "printer"),
    ]


def test_hand_worked_example():
    customers = customer_sequences(_rows())
    found = frequent_sequences(customers, min_support=0.5, max_length=2)
    # printer: all 4; toner: c1, c2, c3; paper: c1, c2 — singles count customers, not orders
    assert found[("printer",)][0] == 4
    assert found[("toner",)][0] == 3
    # ⟨printer, toner⟩: c1 (Jan→Mar: 60 days), c2 (Jan→Feb: 30 days); c3 bought toner first
    assert found[("printer", "toner")] == (2, [60, 30])
    # paper with the printer in the same order is not "later"; c1's paper came after
    assert ("printer", "paper") not in found  # c1 only: 1 of 4 < 0.5
    rules = sequence_rules(customers, min_support=0.5, min_confidence=0.3, max_length=2)
    rule = next(r for r in rules if r.antecedent == ("printer",) and r.consequent == "toner")
    assert rule.count == 2
    assert rule.support == pytest.approx(0.5)
    assert rule.confidence == pytest.approx(2 / 4)
    assert rule.lift == pytest.approx((2 / 4) / (3 / 4))
    assert rule.gap_days == 45  # median of 60 and 30


def _holds(orders: list[set[str]], pattern: tuple[str, ...]) -> bool:
    """Brute force: some strictly increasing order indexes hold the pattern's steps."""
    return any(
        all(step in orders[i] for step, i in zip(pattern, idx, strict=True))
        for idx in itertools.combinations(range(len(orders)), len(pattern))
    )


def test_against_brute_force_on_random_histories():
    rng = random.Random(11)
    items = [f"p{i}" for i in range(6)]
    rows = []
    histories: dict[str, list[set[str]]] = {}
    for c in range(60):
        orders = []
        for o in range(rng.randint(1, 5)):
            basket = set(rng.sample(items, rng.randint(1, 3)))
            orders.append(basket)
            rows += [(f"c{c}", D(2026, 1, 1) + datetime.timedelta(days=10 * o), i) for i in basket]
        histories[f"c{c}"] = orders
    customers = customer_sequences(rows)
    found = frequent_sequences(customers, min_support=0.1, max_length=3)
    expected = {}
    for length in (1, 2, 3):
        for pattern in itertools.product(items, repeat=length):
            count = sum(_holds(orders, pattern) for orders in histories.values())
            if count >= 6:
                expected[pattern] = count
    assert {p: c for p, (c, _) in found.items()} == expected


def test_bad_thresholds_are_refused():
    customers = customer_sequences(_rows())
    with pytest.raises(SequenceInputError):
        frequent_sequences(customers, min_support=0)
    with pytest.raises(SequenceInputError):
        sequence_rules(customers, min_support=0.5, min_confidence=2)
    assert sequence_rules([], min_support=0.5, min_confidence=0.5) == []

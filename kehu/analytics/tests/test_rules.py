"""Association rules: the textbook example worked by hand, and exhaustive enumeration on random
baskets as the independent implementation."""

from __future__ import annotations

import io
import itertools
import json
import random

import pytest
from django.core.management import CommandError, call_command

from kehu.analytics.rules import frequent_itemsets, rules_from_baskets

# Han & Kamber, "Data Mining: Concepts and Techniques", the AllElectronics transactions
HAN = [
    {"I1", "I2", "I5"},
    {"I2", "I4"},
    {"I2", "I3"},
    {"I1", "I2", "I4"},
    {"I1", "I3"},
    {"I2", "I3"},
    {"I1", "I3"},
    {"I1", "I2", "I3", "I5"},
    {"I1", "I2", "I3"},
]


def test_the_textbook_itemsets_and_rules():
    itemsets, n = frequent_itemsets(HAN, min_support=2 / 9)
    assert n == 9
    expected = {
        "I1": 6, "I2": 7, "I3": 6, "I4": 2, "I5": 2,
        "I1 I2": 4, "I1 I3": 4, "I1 I5": 2, "I2 I3": 4, "I2 I4": 2, "I2 I5": 2,
        "I1 I2 I3": 2, "I1 I2 I5": 2,
    }  # fmt: skip
    assert {" ".join(sorted(s)): c for s, c in itemsets.items()} == expected
    rules = rules_from_baskets(HAN, min_support=2 / 9, min_confidence=0.7)
    from_l3 = {(r.antecedent, r.consequent) for r in rules if len(r.antecedent + r.consequent) == 3}
    # the book's strong rules of {I1, I2, I5} at 70 % confidence (the other three: 50 %, 33 %, 29 %)
    assert {
        (("I1", "I5"), ("I2",)),
        (("I2", "I5"), ("I1",)),
        (("I5",), ("I1", "I2")),
    } <= from_l3
    i5 = next(r for r in rules if r.antecedent == ("I5",) and r.consequent == ("I1", "I2"))
    assert i5.confidence == 1 and i5.lift == pytest.approx(9 / 4) and i5.conviction == float("inf")


def _brute(baskets, min_support, min_confidence):
    items = sorted(set().union(*baskets))
    n = len(baskets)
    counts = {}
    for size in range(1, len(items) + 1):
        for combo in itertools.combinations(items, size):
            s = set(combo)
            c = sum(1 for b in baskets if s <= b)
            if c / n >= min_support:
                counts[frozenset(combo)] = c
    rules = {}
    for itemset, c in counts.items():
        for size in range(1, len(itemset)):
            for a in itertools.combinations(sorted(itemset), size):
                conf = c / counts[frozenset(a)]
                if conf >= min_confidence:
                    cons = tuple(sorted(itemset - set(a)))
                    rules[(a, cons)] = (c / n, conf, conf / (counts[frozenset(cons)] / n))
    return counts, rules


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_eclat_finds_exactly_what_enumeration_finds(seed):
    rng = random.Random(seed)
    items = "ABCDEFGH"
    baskets = [
        {i for i in items if rng.random() < (0.55 if i in "ABC" else 0.2)} | {rng.choice(items)}
        for _ in range(300)
    ]
    counts, expected = _brute(baskets, 0.04, 0.3)
    itemsets, _ = frequent_itemsets(baskets, min_support=0.04)
    assert itemsets == counts
    got = {
        (r.antecedent, r.consequent): (r.support, r.confidence, r.lift)
        for r in rules_from_baskets(baskets, min_support=0.04, min_confidence=0.3)
    }
    assert got.keys() == expected.keys()
    for key, values in expected.items():
        assert got[key] == pytest.approx(values)


def test_the_command_reads_baskets_and_order_lines(tmp_path):
    baskets = tmp_path / "baskets.txt"
    baskets.write_text("\n".join(",".join(sorted(b)) for b in HAN) + "\n\n")
    out = io.StringIO()
    call_command(
        "analytics", "rules", "--baskets", str(baskets), "--min-support", "0.2",
        "--min-confidence", "0.7", "--json", stdout=out,
    )  # fmt: skip
    data = json.loads(out.getvalue())
    assert data["baskets"] == 9
    assert {"antecedent": ["I5"], "consequent": ["I1", "I2"]}.items() <= data["rules"][0].items()
    lines = tmp_path / "lines.csv"
    lines.write_text(
        "订单,产品\n" + "".join(f"T{i},{item}\n" for i, b in enumerate(HAN) for item in sorted(b)),
        encoding="gb18030",
    )
    table = io.StringIO()
    call_command(
        "analytics", "rules", "--lines", str(lines), "--basket-column", "订单",
        "--item-column", "产品", "--min-support", "0.2", "--min-confidence", "0.7", stdout=table,
    )  # fmt: skip
    assert table.getvalue().startswith(f"{len(data['rules'])} rules from 9 baskets")
    with pytest.raises(CommandError, match="min_support"):
        call_command("analytics", "rules", "--baskets", str(baskets), "--min-support", "0")

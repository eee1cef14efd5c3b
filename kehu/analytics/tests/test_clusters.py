"""Need-based clustering: the silhouette by hand, planted groups recovered with k chosen."""

from __future__ import annotations

import io
import json

import numpy as np
import pytest
from django.core.management import call_command

from kehu.analytics.clusters import ClusterInputError, cluster, silhouette


def test_the_silhouette_by_hand():
    x = np.array([[0.0], [1.0], [10.0], [11.0]])
    # ends: a 1, b 10.5 → 9.5/10.5; inner: a 1, b 9.5 → 8.5/9.5
    expected = (2 * 9.5 / 10.5 + 2 * 8.5 / 9.5) / 4
    assert silhouette(x, np.array([0, 0, 1, 1])) == pytest.approx(expected)
    assert silhouette(x, np.array([0, 1, 0, 1])) < 0  # a bad split scores below zero


def _three_groups(n=90, seed=1):
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n):
        g = i % 3
        paper, toner, orders = [(80, 5, 12), (10, 60, 4), (30, 30, 30)][g]
        rows.append(
            {
                "id": str(i),
                "paper": f"{paper + rng.normal(0, 4):.1f}",
                "toner": f"{toner + rng.normal(0, 4):.1f}",
                "orders": f"{orders + rng.normal(0, 2):.1f}",
                "group": str(g),
            }
        )
    return rows


def test_planted_groups_are_found_and_explained():
    rows = _three_groups()
    result = cluster(rows, ["paper", "toner", "orders"])
    assert result.k == 3 and result.silhouettes[3] == max(result.silhouettes.values())
    # each found cluster is exactly one planted group
    for c in range(3):
        groups = {r["group"] for r, label in zip(rows, result.labels, strict=True) if label == c}
        assert len(groups) == 1
    assert sorted(p.size for p in result.profiles) == [30, 30, 30]
    paper_lovers = next(
        p for p in result.profiles if p.distinctive[0][0] == "paper" and p.distinctive[0][1] > 60
    )
    assert paper_lovers.distinctive[0][2] == pytest.approx(40, abs=2)  # the overall mean


def test_bad_input_and_the_command(tmp_path):
    with pytest.raises(ClusterInputError):
        cluster([{"a": "1"}] * 5, ["a"])
    with pytest.raises(ClusterInputError):
        cluster([{"a": "x"}] * 20, ["a"])
    rows = _three_groups()
    path = tmp_path / "c.csv"
    path.write_text(
        "id,paper,toner,orders,group\n"
        + "\n".join(
            ",".join(r[c] for c in ("id", "paper", "toner", "orders", "group")) for r in rows
        ),
        encoding="utf-8",
    )
    out = io.StringIO()
    call_command(
        "analytics", "cluster", str(path), "--id", "id", "--exclude", "group", "--json", stdout=out
    )
    data = json.loads(out.getvalue())
    assert data["k"] == 3 and len(data["assignments"]) == 90
    out = io.StringIO()
    call_command("analytics", "cluster", str(path), "--id", "id", "--exclude", "group", stdout=out)
    assert "3 clusters" in out.getvalue()

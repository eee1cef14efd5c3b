"""Churn: a model learned from a table with a known cause of churn finds it and ranks held-out
customers well; the AUC equals the pairwise definition; bad tables get clear errors."""

from __future__ import annotations

import csv
import io
import json
import math

import numpy as np
import pytest
from django.core.management import CommandError, call_command

from kehu.analytics.churn import ChurnDataError, auc, fit_churn


def _table(n=3000, seed=3):
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n):
        tenure = rng.integers(1, 72)
        contract = rng.choice(["月付", "一年", "两年"], p=[0.5, 0.3, 0.2])
        charges = rng.normal(70, 20)
        z = 1.0 - 0.06 * tenure + {"月付": 1.2, "一年": 0.0, "两年": -1.5}[contract]
        churned = rng.random() < 1 / (1 + math.exp(-z))
        rows.append(
            {
                "客户编号": f"C{i:05d}",
                "tenure": "" if rng.random() < 0.05 else str(tenure),  # some blanks
                "contract": contract,
                "monthly": f"{charges:.2f}",  # no effect on churn
                "流失": "是" if churned else "否",
            }
        )
    return rows


def test_auc_is_the_share_of_correctly_ordered_pairs():
    rng = np.random.default_rng(1)
    y = rng.integers(0, 2, 200).astype(float)
    score = np.round(rng.random(200) + y * 0.3, 1)  # ties on purpose
    pairs = [(s_p > s_n) + 0.5 * (s_p == s_n) for s_p in score[y == 1] for s_n in score[y == 0]]
    assert auc(y, score) == pytest.approx(sum(pairs) / len(pairs))


def test_the_model_finds_the_cause_and_ranks_held_out_customers():
    report = fit_churn(_table(), target="流失", exclude=("客户编号",))
    assert report.model.converged
    assert report.held_out == pytest.approx(750, abs=2)
    assert report.auc > 0.75
    names = [name for name, _ in report.strongest]
    assert names[0] == "tenure" and dict(report.strongest)["tenure"] < 0
    assert names.index("monthly") > names.index("contract = 月付")  # the feature without effect
    assert 0 < report.brier < 0.25
    # the riskiest tenth churns more than the average
    assert report.top_decile_precision > report.churn_rate
    reasons = report.model.reasons([{"tenure": "2", "contract": "月付", "monthly": "70"}])[0]
    assert {name for name, _ in reasons} & {"tenure", "contract = 月付"}


def test_bad_tables_are_refused_with_a_reason():
    rows = _table(100)
    with pytest.raises(ChurnDataError, match="no column 'churn'"):
        fit_churn(rows, target="churn")
    for row in rows:
        row["流失"] = "否"
    with pytest.raises(ChurnDataError, match="exactly two values"):
        fit_churn(rows, target="流失")
    with pytest.raises(ChurnDataError, match="20 rows"):
        fit_churn(_table(10), target="流失")


def test_the_command_prints_only_json(tmp_path):
    path = tmp_path / "customers.csv"
    rows = _table(600)
    with path.open("w", newline="", encoding="gb18030") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    out = io.StringIO()
    call_command(
        "analytics",
        "churn",
        str(path),
        "--target",
        "流失",
        "--id",
        "客户编号",
        "--json",
        stdout=out,
    )
    data = json.loads(out.getvalue())
    assert data["rows"] == 600 and data["auc"] > 0.7
    assert all("客户编号" not in f["feature"] for f in data["strongest_features"])
    with pytest.raises(CommandError, match="holdout"):
        call_command("analytics", "churn", str(path), "--target", "流失", "--holdout", "1")

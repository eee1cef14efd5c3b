"""Satisfaction measures against hand-worked figures and independent computations."""

from __future__ import annotations

import io
import json

import numpy as np
import pytest
from django.core.management import call_command
from scipy import stats

from kehu.analytics.satisfaction import (
    SatisfactionInputError,
    acsi,
    cluster_sample,
    csd,
    csd_index,
    kano,
    sample_size,
    simple_random_sample,
    stratified_sample,
    systematic_sample,
)


def test_csd_is_perceived_over_expected():
    assert csd(8, 10) == pytest.approx(0.8)
    # (2·9/10 + 1·6/8) / 3
    assert csd_index([(2, 9, 10), (1, 6, 8)]) == pytest.approx(0.85)
    with pytest.raises(SatisfactionInputError):
        csd(5, 0)


def test_sample_size_follows_cochran_with_the_finite_population_correction():
    # 1.959964² · 0.25 / 0.05² = 384.15 → 385; of 1,000: 384.15 / (1 + 383.15/1000) = 277.7 → 278
    assert sample_size(margin=0.05) == 385
    assert sample_size(margin=0.05, population=1000) == 278
    assert sample_size(margin=0.03) == 1068  # 1067.07
    assert sample_size(margin=0.05, confidence=0.99) == 664  # 2.5758² · 0.25 / 0.0025 = 663.5
    assert sample_size(margin=0.05, population=50) == 45  # 384.15 / (1 + 383.15/50) = 44.3
    with pytest.raises(SatisfactionInputError):
        sample_size(margin=0)


def test_the_four_sampling_designs():
    people = list(range(100))
    simple = simple_random_sample(people, 10, seed=3)
    assert len(set(simple)) == 10 and set(simple) <= set(people)
    system = systematic_sample(people, 10, seed=3)
    assert len(system) == 10 and np.all(np.diff(system) == 10)
    strata = {p: "A" if p < 50 else "B" if p < 80 else "C" for p in people}
    by = stratified_sample(people, 10, stratum=strata.get)
    assert {k: len(v) for k, v in by.items()} == {"A": 5, "B": 3, "C": 2}
    # 7 × (0.5, 0.3, 0.2) = 3.5, 2.1, 1.4: 3 + 2 + 1, the one left to the largest remainder (A)
    by = stratified_sample(people, 7, stratum=strata.get)
    assert {k: len(v) for k, v in by.items()} == {"A": 4, "B": 2, "C": 1}
    assert all(strata[p] == k for k, units in by.items() for p in units)
    drawn = cluster_sample(people, 2, cluster=lambda p: p // 10, seed=1)
    assert len(drawn) == 2 and all(
        len(v) == 10 and {p // 10 for p in v} == {k} for k, v in drawn.items()
    )


def test_kano_classifies_by_the_evaluation_table():
    pairs = (
        [("like", "dislike")] * 3  # O
        + [("like", "neutral")] * 2  # A
        + [("neutral", "dislike")]  # M
        + [("neutral", "neutral")]  # I
        + [("like", "like")]  # Q
        + [("dislike", "like")]  # R
    )
    result = kano("一键退订", pairs)
    assert result.counts == {"A": 2, "O": 3, "M": 1, "I": 1, "R": 1, "Q": 1}
    assert result.category == "O"
    assert result.better == pytest.approx(5 / 7) and result.worse == pytest.approx(-4 / 7)
    # answers written as numbers or in Chinese
    assert kano("x", [("1", "5"), ("喜欢", "不喜欢")]).category == "O"
    with pytest.raises(SatisfactionInputError):
        kano("x", [("maybe", "like")])


def _survey(n=4000, seed=5):
    """Answers on 1–10 generated from known paths: quality from expectation, satisfaction from
    quality and value, complaints falling and loyalty rising with satisfaction."""
    rng = np.random.default_rng(seed)
    e = rng.normal(0, 1, n)
    q = 0.5 * e + rng.normal(0, 0.87, n)
    v = 0.6 * q + rng.normal(0, 0.8, n)
    s = 0.6 * q + 0.3 * v + rng.normal(0, 0.6, n)
    c = -0.5 * s + rng.normal(0, 0.87, n)
    loyal = 0.7 * s + rng.normal(0, 0.7, n)

    def item(latent, noise=0.3):
        return np.clip(np.round(7 + 1.2 * (latent + rng.normal(0, noise, n))), 1, 10)

    cols = {
        "e1": item(e), "q1": item(q), "q2": item(q), "v1": item(v),
        "s1": item(s), "s2": item(s), "s3": item(s), "c1": item(c), "l1": item(loyal),
    }  # fmt: skip
    return [{k: str(v[i]) for k, v in cols.items()} for i in range(n)], cols


def test_the_acsi_model_recovers_its_paths_and_index():
    rows, cols = _survey()
    blocks = {
        "expectation": ["e1"],
        "quality": ["q1", "q2"],
        "value": ["v1"],
        "satisfaction": ["s1", "s2", "s3"],
        "complaints": ["c1"],
        "loyalty": ["l1"],
    }
    result = acsi(rows, blocks)
    assert result.respondents == 4000
    # three items of one construct, equally noisy: equal weights
    assert all(w == pytest.approx(1 / 3, abs=0.02) for w in result.weights["satisfaction"].values())
    composite = (cols["s1"] + cols["s2"] + cols["s3"]) / 3
    assert result.index == pytest.approx((composite.mean() - 1) / 9 * 100, abs=0.3)
    # one driver: the standardised path is the correlation (computed independently)
    r = stats.pearsonr(cols["c1"], result_satisfaction := composite).statistic
    assert result.paths["complaints"]["satisfaction"] == pytest.approx(r, abs=0.01)
    assert result_satisfaction is composite
    # the simulated structure comes back: quality matters more than value, expectation little
    sat = result.paths["satisfaction"]
    assert sat["quality"] > sat["value"] > abs(sat["expectation"])
    assert result.paths["loyalty"]["satisfaction"] > 0.5 and result.r2["satisfaction"] > 0.5


def test_acsi_needs_enough_complete_answers():
    with pytest.raises(SatisfactionInputError):
        acsi([{"s1": "8"}] * 5, {"satisfaction": ["s1"]})
    with pytest.raises(SatisfactionInputError):
        acsi([{"s1": "8"}] * 20, {"happiness": ["s1"], "satisfaction": ["s1"]})


def test_the_commands(tmp_path):
    out = io.StringIO()
    call_command(
        "analytics", "sample-size", "--margin", "0.05", "--population", "1000", "--json", stdout=out
    )
    assert json.loads(out.getvalue()) == {"sample_size": 278}
    path = tmp_path / "kano.csv"
    path.write_text(
        "feature,functional,dysfunctional\n"
        + "一键退订,like,dislike\n" * 3
        + "一键退订,like,neutral\n"
        + "暗色模式,like,neutral\n" * 2,
        encoding="utf-8",
    )
    out = io.StringIO()
    call_command("analytics", "kano", str(path), "--json", stdout=out)
    got = {r["feature"]: r["category"] for r in json.loads(out.getvalue())["features"]}
    assert got == {"一键退订": "O", "暗色模式": "A"}
    rows, _cols = _survey(200)
    survey = tmp_path / "survey.csv"
    survey.write_text(
        ",".join(rows[0]) + "\n" + "\n".join(",".join(r.values()) for r in rows), encoding="utf-8"
    )
    out = io.StringIO()
    call_command(
        "analytics", "acsi", str(survey), "--block", "quality=q1,q2", "--block", "value=v1",
        "--block", "satisfaction=s1,s2,s3", "--block", "loyalty=l1", stdout=out,
    )  # fmt: skip
    text = out.getvalue()
    assert "Satisfaction index" in text and "quality" in text

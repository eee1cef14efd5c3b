"""Benchmark: Kehu's analytics against the reference implementations, in the same run.

    python bench/analytics.py rules [--baskets 150000]      # against mlxtend's fpgrowth
    python bench/analytics.py clv [--customers 100000]      # against lifetimes' fitters

The reference packages are not Kehu dependencies (mlxtend pulls scikit-learn; lifetimes is
unmaintained): run this with a Python that has them, e.g.
``python3 -m venv /tmp/benchvenv && /tmp/benchvenv/bin/pip install mlxtend lifetimes scipy``,
then ``/tmp/benchvenv/bin/python bench/analytics.py rules``. Kehu's modules are loaded from
their files (they need only NumPy and SciPy), so no Django set-up is needed.
"""

from __future__ import annotations

import argparse
import importlib.util
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent


def _load(name: str):
    spec = importlib.util.spec_from_file_location(name, ROOT / "kehu" / "analytics" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def _timed(fn, repeat: int):
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return result, statistics.median(times)


def baskets(n: int, seed: int = 11) -> list[set[str]]:
    """Retail-like baskets: 1–8 items from 1,000 products with Zipf popularity, plus planted
    pairs and a triple (bought together) so there are rules worth finding."""
    rng = np.random.default_rng(seed)
    weights = 1 / np.arange(1, 1001)
    weights /= weights.sum()
    sizes = rng.integers(1, 9, n)
    picks = rng.choice(1000, size=int(sizes.sum()), p=weights)
    out, at = [], 0
    for size in sizes:
        b = {f"P{p:04d}" for p in picks[at : at + size]}
        at += size
        if "P0003" in b and rng.random() < 0.5:
            b.add("P0017")
        if "P0010" in b and rng.random() < 0.6:
            b |= {"P0042", "P0077"}
        out.append(b)
    return out


def bench_rules(args) -> None:
    rules = _load("rules")
    data = baskets(args.baskets)
    found, ours = _timed(
        lambda: rules.rules_from_baskets(
            data, min_support=args.min_support, min_confidence=args.min_confidence
        ),
        args.repeat,
    )
    print(
        f"{len(data):,} baskets, min support {args.min_support}, confidence {args.min_confidence}"
    )
    print(f"kehu (Eclat):       {ours:8.3f} s median of {args.repeat}, {len(found):,} rules")
    try:
        import pandas as pd
        from mlxtend.frequent_patterns import association_rules, fpgrowth
        from mlxtend.preprocessing import TransactionEncoder
    except ImportError:
        print("mlxtend not installed here: no comparison")
        return

    def reference():
        enc = TransactionEncoder()
        frame = pd.DataFrame(enc.fit(data).transform(data), columns=enc.columns_)
        sets = fpgrowth(frame, min_support=args.min_support, use_colnames=True)
        return association_rules(sets, metric="confidence", min_threshold=args.min_confidence)

    theirs_rules, theirs = _timed(reference, args.repeat)
    print(
        f"mlxtend fpgrowth:   {theirs:8.3f} s median of {args.repeat}, {len(theirs_rules):,} rules"
    )
    print(f"speed-up:           {theirs / ours:8.1f}x")
    mine = {(r.antecedent, r.consequent): (r.support, r.confidence, r.lift) for r in found}
    ref = {
        (tuple(sorted(a)), tuple(sorted(c))): (s, conf, lift)
        for a, c, s, conf, lift in theirs_rules[
            ["antecedents", "consequents", "support", "confidence", "lift"]
        ].itertuples(index=False)
    }
    same_keys = mine.keys() == ref.keys()
    worst = max(
        (max(abs(x - y) for x, y in zip(mine[k], ref[k], strict=True)) for k in ref if k in mine),
        default=0.0,
    )
    print(f"identical rule set: {same_keys} (largest difference in a measure {worst:.2e})")


def simulate(n: int, seed: int = 5):
    """Customers from the BG/NBD story (r .24, α 4.4, a .79, b 2.4; 39 periods) and a spend
    per purchase from Gamma-Gamma (p 6.25, q 3.74, γ 15.44)."""
    rng = np.random.default_rng(seed)
    lam = rng.gamma(0.24, 1 / 4.4, n)
    drop = rng.beta(0.79, 2.4, n)
    nu = rng.gamma(3.74, 1 / 15.44, n)
    x, t_x, T, m = (np.zeros(n) for _ in range(4))
    for i in range(n):
        first = rng.uniform(0, 30)
        age, now, times = 39 - first, 0.0, []
        while True:
            now += rng.exponential(1 / max(lam[i], 1e-9))
            if now > age:
                break
            times.append(now)
            if rng.random() < drop[i]:
                break
        x[i], t_x[i], T[i] = len(times), (times[-1] if times else 0.0), age
        if times:
            m[i] = rng.gamma(6.25, 1 / nu[i], len(times)).mean()
    return x, t_x, T, m


def bench_clv(args) -> None:
    clv = _load("clv")
    x, t_x, T, m = simulate(args.customers)
    bg, ours_bg = _timed(lambda: clv.fit_bgnbd(x, t_x, T), args.repeat)
    gg, ours_gg = _timed(lambda: clv.fit_gamma_gamma(x, m), args.repeat)
    print(f"{args.customers:,} simulated customers ({int((x > 0).sum()):,} repeat buyers)")
    print(
        f"kehu BG/NBD:        {ours_bg:8.3f} s  r {bg.r:.4g} α {bg.alpha:.4g} a {bg.a:.4g} b {bg.b:.4g}"
    )
    print(f"kehu Gamma-Gamma:   {ours_gg:8.3f} s  p {gg.p:.4g} q {gg.q:.4g} γ {gg.v:.4g}")
    try:
        from lifetimes import BetaGeoFitter, GammaGammaFitter
    except ImportError:
        print("lifetimes not installed here: no comparison")
        return

    def ref_bg():
        f = BetaGeoFitter(penalizer_coef=0.0)
        f.fit(x, t_x, T)
        return f.params_

    def ref_gg():
        keep = x > 0
        f = GammaGammaFitter(penalizer_coef=0.0)
        f.fit(x[keep], m[keep])
        return f.params_

    ref_b, theirs_bg = _timed(ref_bg, args.repeat)
    ref_g, theirs_gg = _timed(ref_gg, args.repeat)
    print(
        f"lifetimes BG/NBD:   {theirs_bg:8.3f} s  "
        + " ".join(f"{k} {v:.4g}" for k, v in ref_b.items())
    )
    print(
        f"lifetimes G-G:      {theirs_gg:8.3f} s  "
        + " ".join(f"{k} {v:.4g}" for k, v in ref_g.items())
    )
    ours = [bg.r, bg.alpha, bg.a, bg.b, gg.p, gg.q, gg.v]
    theirs = [
        ref_b["r"],
        ref_b["alpha"],
        ref_b["a"],
        ref_b["b"],
        ref_g["p"],
        ref_g["q"],
        ref_g["v"],
    ]
    same = all(f"{a:.3g}" == f"{b:.3g}" for a, b in zip(ours, theirs, strict=True))
    print(f"same parameters to 3 significant digits: {same}")
    print(f"speed-up (both fits): {(theirs_bg + theirs_gg) / (ours_bg + ours_gg):.1f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="part", required=True)
    r = sub.add_parser("rules")
    r.add_argument("--baskets", type=int, default=150_000)
    r.add_argument("--min-support", type=float, default=0.002)
    r.add_argument("--min-confidence", type=float, default=0.2)
    r.add_argument("--repeat", type=int, default=3)
    c = sub.add_parser("clv")
    c.add_argument("--customers", type=int, default=100_000)
    c.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    {"rules": bench_rules, "clv": bench_clv}[args.part](args)


if __name__ == "__main__":
    main()

"""Customer satisfaction (顾客满意度): the documents' measures, as tested functions.

- **CSD** (顾客满意度) = perceived / expected, per attribute and as a weighted index.
- **Sample size** for a survey (Cochran's formula with the finite-population correction) and the
  four **sampling** designs the documents name: simple random, systematic, stratified
  (proportional allocation, largest remainders) and cluster.
- **Kano** categories from the functional / dysfunctional question pair, by the standard Kano
  evaluation table, with Berger's better / worse coefficients.
- An **ACSI-style model**: each construct (expectation, perceived quality, perceived value,
  satisfaction, complaints, loyalty) a weighted composite of its survey items, the satisfaction
  index on 0–100 as the ACSI publishes it, and the ACSI's paths estimated by standardised least
  squares on the composites. The ACSI itself fits the paths by PLS; composites weighted by their
  items' first principal component and OLS paths are the usual approximation of it, and say
  plainly which drivers matter.
"""

from __future__ import annotations

import math
import random
from collections import Counter
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats

__all__ = [
    "KANO_TABLE",
    "AcsiResult",
    "acsi",
    "cluster_sample",
    "csd",
    "csd_index",
    "kano",
    "sample_size",
    "simple_random_sample",
    "stratified_sample",
    "systematic_sample",
]


class SatisfactionInputError(ValueError):
    """Figures that cannot be computed (an expectation of zero, an empty survey …)."""


# --- CSD ----------------------------------------------------------------------------------------


def csd(perceived: float, expected: float) -> float:
    """Customer satisfaction degree: perceived performance over expectation (1 = as expected,
    above 1 = delighted, below 1 = disappointed)."""
    if expected <= 0:
        raise SatisfactionInputError("the expectation must be positive")
    return perceived / expected


def csd_index(items: Sequence[tuple[float, float, float]]) -> float:
    """The weighted CSD over attributes: ``Σ wᵢ·(Pᵢ/Eᵢ) / Σ wᵢ`` for (weight, perceived,
    expected) triples."""
    total = sum(w for w, _p, _e in items)
    if not items or total <= 0:
        raise SatisfactionInputError("at least one attribute with a positive weight is needed")
    return sum(w * csd(p, e) for w, p, e in items) / total


# --- Sampling -----------------------------------------------------------------------------------


def sample_size(
    *, margin: float, confidence: float = 0.95, proportion: float = 0.5, population: int = 0
) -> int:
    """Respondents needed to estimate a proportion within ±``margin`` at ``confidence``:
    n₀ = z²·p(1−p)/e², with the finite-population correction n = n₀ / (1 + (n₀−1)/N) when the
    population N is known; rounded up. (95 %, ±5 %, p = 0.5: 385; of 1,000 customers: 278.)"""
    if not 0 < margin < 1 or not 0 < confidence < 1 or not 0 < proportion < 1:
        raise SatisfactionInputError("margin, confidence and proportion lie between 0 and 1")
    z = stats.norm.ppf(1 - (1 - confidence) / 2)
    n0 = z * z * proportion * (1 - proportion) / (margin * margin)
    if population and population > 0:
        n0 = n0 / (1 + (n0 - 1) / population)
        return min(population, math.ceil(n0 - 1e-9))
    return math.ceil(n0 - 1e-9)


def simple_random_sample(population: Sequence, n: int, *, seed: int = 0) -> list:
    return random.Random(seed).sample(list(population), min(n, len(population)))


def systematic_sample(population: Sequence, n: int, *, seed: int = 0) -> list:
    """Every k-th unit (k = N/n, fractional steps allowed) from a random start in [0, k)."""
    items = list(population)
    if n <= 0 or not items:
        return []
    n = min(n, len(items))
    step = len(items) / n
    start = random.Random(seed).random() * step
    return [items[int(start + i * step)] for i in range(n)]


def stratified_sample(
    population: Sequence, n: int, *, stratum: Callable[[object], Hashable], seed: int = 0
) -> dict[Hashable, list]:
    """A simple random sample in each stratum, its size proportional to the stratum's share of
    the population (largest remainders, so the sizes add up to n)."""
    strata: dict[Hashable, list] = {}
    for unit in population:
        strata.setdefault(stratum(unit), []).append(unit)
    total = sum(len(u) for u in strata.values())
    n = min(n, total)
    exact = {k: n * len(u) / total for k, u in strata.items()}
    sizes = {k: int(v) for k, v in exact.items()}
    left = n - sum(sizes.values())
    for k in sorted(exact, key=lambda k: (-(exact[k] - sizes[k]), str(k)))[:left]:
        sizes[k] += 1
    rng = random.Random(seed)
    return {k: rng.sample(units, sizes[k]) for k, units in sorted(strata.items(), key=str)}


def cluster_sample(
    population: Sequence, clusters: int, *, cluster: Callable[[object], Hashable], seed: int = 0
) -> dict[Hashable, list]:
    """Whole clusters (a city, a branch) drawn at random; every unit of a drawn cluster is in."""
    groups: dict[Hashable, list] = {}
    for unit in population:
        groups.setdefault(cluster(unit), []).append(unit)
    keys = sorted(groups, key=str)
    chosen = random.Random(seed).sample(keys, min(clusters, len(keys)))
    return {k: groups[k] for k in sorted(chosen, key=str)}


# --- Kano ---------------------------------------------------------------------------------------

#: Answers to "if the product has it" (functional) and "if it does not" (dysfunctional).
KANO_ANSWERS = ("like", "must-be", "neutral", "live-with", "dislike")
#: The Kano evaluation table: rows functional, columns dysfunctional answer. A attractive,
#: O one-dimensional, M must-be, I indifferent, R reverse, Q questionable.
KANO_TABLE = {
    "like": ("Q", "A", "A", "A", "O"),
    "must-be": ("R", "I", "I", "I", "M"),
    "neutral": ("R", "I", "I", "I", "M"),
    "live-with": ("R", "I", "I", "I", "M"),
    "dislike": ("R", "R", "R", "R", "Q"),
}
_ANSWER_ALIASES = {
    "1": "like", "2": "must-be", "3": "neutral", "4": "live-with", "5": "dislike",
    "喜欢": "like", "理应如此": "must-be", "无所谓": "neutral", "能忍受": "live-with",
    "不喜欢": "dislike", "expect": "must-be", "expected": "must-be", "tolerate": "live-with",
}  # fmt: skip


def kano_answer(text: str) -> str:
    key = str(text).strip().lower()
    key = _ANSWER_ALIASES.get(key, key)
    if key not in KANO_ANSWERS:
        raise SatisfactionInputError(f"not a Kano answer: {text!r}")
    return key


@dataclass
class KanoResult:
    feature: str
    counts: dict[str, int]
    category: str
    better: float
    worse: float


def kano(feature: str, pairs: Sequence[tuple[str, str]]) -> KanoResult:
    """Classify one feature from its (functional, dysfunctional) answers: the most frequent
    category (ties: M > O > A > I, the order in which they matter to a product), and
    better = (A+O)/(A+O+M+I), worse = −(O+M)/(A+O+M+I)."""
    counts = Counter(
        KANO_TABLE[kano_answer(f)][KANO_ANSWERS.index(kano_answer(d))] for f, d in pairs
    )
    if not counts:
        raise SatisfactionInputError("no answers")
    rank = "MOAIRQ"
    category = min(counts, key=lambda c: (-counts[c], rank.index(c)))
    a, o, m, i = (counts.get(c, 0) for c in "AOMI")
    base = a + o + m + i
    return KanoResult(
        feature=feature,
        counts={c: counts.get(c, 0) for c in "AOMIRQ"},
        category=category,
        better=(a + o) / base if base else math.nan,
        worse=-(o + m) / base if base else math.nan,
    )


# --- ACSI-style model ---------------------------------------------------------------------------

CONSTRUCTS = ("expectation", "quality", "value", "satisfaction", "complaints", "loyalty")
#: The ACSI's paths: each construct and what drives it.
PATHS = {
    "quality": ("expectation",),
    "value": ("expectation", "quality"),
    "satisfaction": ("expectation", "quality", "value"),
    "complaints": ("satisfaction",),
    "loyalty": ("satisfaction", "complaints"),
}


@dataclass
class AcsiResult:
    index: float  # the satisfaction index, 0–100
    weights: dict[str, dict[str, float]]  # construct → item → weight (sum 1)
    paths: dict[str, dict[str, float]]  # construct → driver → standardised coefficient
    r2: dict[str, float]
    respondents: int


def _item_weights(block: np.ndarray) -> np.ndarray:
    """Weights of a construct's items: the first principal component of their correlations,
    made positive and summing to 1 (one item: weight 1)."""
    if block.shape[1] == 1:
        return np.ones(1)
    corr = np.corrcoef(block, rowvar=False)
    corr = np.nan_to_num(corr, nan=0.0)
    values, vectors = np.linalg.eigh(corr)
    w = np.abs(vectors[:, -1])
    return w / w.sum() if w.sum() > 0 else np.full(block.shape[1], 1 / block.shape[1])


def _standardised_ols(y: np.ndarray, xs: np.ndarray) -> tuple[np.ndarray, float]:
    z = lambda v: (v - v.mean(axis=0)) / np.where(v.std(axis=0) > 0, v.std(axis=0), 1)  # noqa: E731
    zy, zx = z(y), z(xs)
    beta, *_ = np.linalg.lstsq(zx, zy, rcond=None)
    resid = zy - zx @ beta
    r2 = 1 - float(resid @ resid) / float(zy @ zy) if float(zy @ zy) else math.nan
    return beta, r2


def acsi(
    rows: Sequence[dict], blocks: dict[str, Sequence[str]], *, scale: tuple[float, float] = (1, 10)
) -> AcsiResult:
    """Fit the ACSI-style model to survey answers (one dict per respondent, item → score on
    ``scale``). ``blocks`` maps the constructs (at least ``satisfaction``) to their items; paths
    whose constructs are all present are estimated. Respondents missing an item are left out."""
    if "satisfaction" not in blocks:
        raise SatisfactionInputError("the satisfaction construct needs at least one item")
    unknown = set(blocks) - set(CONSTRUCTS)
    if unknown:
        raise SatisfactionInputError(f"unknown constructs: {', '.join(sorted(unknown))}")
    items = [i for c in blocks for i in blocks[c]]
    data = []
    for row in rows:
        try:
            data.append([float(row[i]) for i in items])
        except (KeyError, TypeError, ValueError):
            continue
    if len(data) < 10:
        raise SatisfactionInputError("at least 10 complete answers are needed")
    matrix = np.array(data)
    low, high = scale
    scores, weights, col = {}, {}, 0
    for construct, names in blocks.items():
        block = matrix[:, col : col + len(names)]
        col += len(names)
        w = _item_weights(block)
        weights[construct] = {n: float(x) for n, x in zip(names, w, strict=True)}
        scores[construct] = block @ w
    index = float((scores["satisfaction"].mean() - low) / (high - low) * 100)
    paths, r2 = {}, {}
    for target, drivers in PATHS.items():
        present = [d for d in drivers if d in scores]
        if target not in scores or not present:
            continue
        beta, fit = _standardised_ols(scores[target], np.column_stack([scores[d] for d in present]))
        paths[target] = {d: float(b) for d, b in zip(present, beta, strict=True)}
        r2[target] = fit
    return AcsiResult(index, weights, paths, r2, len(data))

"""Probabilistic lifetime value: BG/NBD for purchase counts, Gamma-Gamma for spend.

The models practitioners fit on "buy till you die" data, each customer summarised as
``frequency`` x (repeat purchases), ``recency`` t_x (time of the last purchase, from the first),
``T`` (age: first purchase to the end of the calibration period) and, for spend, the mean value
of the repeat purchases.

- BG/NBD: Fader, Hardie & Lee (2005), "Counting your customers the easy way", Marketing
  Science 24(2), equations (6), (10) and the P(alive) expression. Their CDNOW fit
  (r = 0.243, α = 4.414, a = 0.793, b = 2.426) is the test's published example.
- Gamma-Gamma: Fader, Hardie & Lee (2005), "RFM and CLV: using iso-value curves", and Fader &
  Hardie's note "The Gamma-Gamma model of monetary value" (2013): on CDNOW p = 6.25, q = 3.74,
  v = 15.44.

Both are fitted by maximum likelihood with SciPy (log-parameters, so every parameter stays
positive; L-BFGS-B, Nelder-Mead as the fallback). The log-likelihoods use ``gammaln`` and
``logaddexp`` so large counts do not overflow; an all-one-time-buyers sample fits (the model
then says little about dropout, which the fit's ``converged`` and the parameters show).
Written here rather than taken from ``lifetimes`` (unmaintained since 2020; its pinned
dependencies do not install on NumPy 2).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from scipy import integrate, optimize, special

__all__ = [
    "BgNbd",
    "GammaGamma",
    "ModelFitError",
    "clv",
    "fit_bgnbd",
    "fit_gamma_gamma",
]


class ModelFitError(ValueError):
    """The data cannot be fitted (no customers, impossible summaries, no repeat buyers …)."""


def _arrays(*columns) -> list[np.ndarray]:
    return [np.asarray(c, dtype=float) for c in columns]


def _check_summary(x, t_x, T) -> None:
    if len(x) == 0:
        raise ModelFitError("no customers to fit")
    if np.any(x < 0) or np.any(t_x < 0) or np.any(T <= 0):
        raise ModelFitError("frequency and recency must be ≥ 0 and age T > 0")
    if np.any(t_x > T + 1e-9):
        raise ModelFitError("recency cannot be later than the customer's age T")
    if np.any((x == 0) & (t_x > 0)):
        raise ModelFitError("a customer with no repeat purchase has recency 0")


TIGHT = {"ftol": 1e-14, "gtol": 1e-10, "maxiter": 2000}
#: Every parameter within [1e-4, 1e6] (log scale): at the edges the data say "no dropout" or
#: "everyone buys at one rate"; beyond them the likelihood is flat and the numbers overflow.
BOUNDS = [(math.log(1e-4), math.log(1e6))] * 4


def _minimise(
    nll, start: np.ndarray, *, jac: bool = False, bounds=None
) -> tuple[np.ndarray, bool, float]:
    """L-BFGS-B from ``start`` (with the analytic gradient when ``jac``); Nelder-Mead (slower,
    derivative-free) only when that fails or stops somewhere non-finite, then L-BFGS-B again."""
    value = (lambda p: nll(p)[0]) if jac else nll
    best = optimize.minimize(nll, start, jac=jac, method="L-BFGS-B", options=TIGHT, bounds=bounds)
    if not (best.success and np.isfinite(best.fun)):
        rough = optimize.minimize(
            value,
            start,
            method="Nelder-Mead",
            options={"maxiter": 4000, "fatol": 1e-12},
            bounds=bounds,
        )
        polished = optimize.minimize(
            nll, rough.x, jac=jac, method="L-BFGS-B", options=TIGHT, bounds=bounds
        )
        best = polished if polished.fun <= rough.fun else rough
    return best.x, bool(best.success), float(best.fun)


@dataclass(frozen=True)
class BgNbd:
    """A fitted BG/NBD model: purchase rate λ ~ Gamma(r, α), dropout p ~ Beta(a, b)."""

    r: float
    alpha: float
    a: float
    b: float
    log_likelihood: float = 0.0
    converged: bool = True
    customers: int = 0

    def _ratio(self, x, t_x, T):
        """``a/(b+x−1)·((α+T)/(α+t_x))^(r+x)`` for x > 0, else 0 — in logs (large x, T)."""
        x, t_x, T = _arrays(x, t_x, T)
        out = np.zeros_like(x)
        pos = x > 0
        if np.any(pos):
            xp = x[pos]
            log = (
                np.log(self.a)
                - np.log(self.b + xp - 1)
                + (self.r + xp) * (np.log(self.alpha + T[pos]) - np.log(self.alpha + t_x[pos]))
            )
            out[pos] = np.exp(np.minimum(log, 700))
        return out

    def probability_alive(self, x, t_x, T) -> np.ndarray:
        """P(alive | x, t_x, T) = 1 / (1 + δ_{x>0} · a/(b+x−1) · ((α+T)/(α+t_x))^(r+x))."""
        return 1.0 / (1.0 + self._ratio(x, t_x, T))

    def expected_purchases(self, t, x, t_x, T) -> np.ndarray:
        """E[Y(t) | x, t_x, T]: purchases expected in the next ``t`` periods (equation 10)."""
        x, t_x, T = _arrays(x, t_x, T)
        r, alpha, a, b = self.r, self.alpha, self.a, self.b
        z = t / (alpha + T + t)
        hyp = special.hyp2f1(r + x, b + x, a + b + x - 1, z)
        if abs(a - 1) < 1e-9:
            a = 1 + 1e-9  # the closed form's removable singularity at a = 1
        power = np.exp((r + x) * (np.log(alpha + T) - np.log(alpha + T + t)))
        # for a < 1 both (a − 1) and the bracket are negative: the formula holds on either side
        with np.errstate(invalid="ignore", over="ignore"):
            out = (a + b + x - 1) / (a - 1) * (1 - power * hyp) / (1 + self._ratio(x, t_x, T))
        bad = ~np.isfinite(out) | (out < 0)
        if np.any(bad):  # the hypergeometric term overflows (large counts, r or α)
            out[bad] = [
                self._robust_expectation(t, xi, ti, Ti)
                for xi, ti, Ti in zip(x[bad], t_x[bad], T[bad], strict=True)
            ]
        return out

    def _robust_expectation(self, t: float, x: float, t_x: float, T: float) -> float:
        """The integral where the closed form fails; where that fails too (a dropout
        distribution piled at 0, which the quadrature cannot resolve), its limit: a customer
        who hardly ever drops out buys at the posterior mean rate, P(alive)·(r+x)/(α+T)·t."""
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("error", integrate.IntegrationWarning)
            try:
                value = self.expected_by_integral(t, x, t_x, T)
                if math.isfinite(value) and value >= 0:
                    return value
            except (integrate.IntegrationWarning, FloatingPointError, ValueError):
                pass
        alive = float(self.probability_alive([x], [t_x], [T])[0])
        return alive * (self.r + x) / (self.alpha + T) * t

    def expected_by_integral(self, t: float, x: float, t_x: float, T: float) -> float:
        """E[Y(t) | x, t_x, T] from the model's definition rather than equation 10: alive at T
        with P(alive); then λ ~ Gamma(r+x, α+T) and p ~ Beta(a, b+x) a posteriori, and a live
        customer buys (1/p)(1 − e^{−λpt}) times in t on average. λ integrates in closed form,
        p numerically. Used where the closed form overflows, and by the tests to check it."""
        r, alpha, a, b = self.r, self.alpha, self.a, self.b
        base = alpha + T
        log_norm = special.betaln(a, b + x)

        def integrand(p: float) -> float:
            if p <= 0:
                return 0.0
            dens = np.exp(special.xlogy(a - 1, p) + special.xlog1py(b + x - 1, -p) - log_norm)
            bought = -np.expm1(-(r + x) * np.log1p(p * t / base)) / p
            return float(dens * bought)

        mean = a / (a + b + x)
        points = sorted({min(mean, 0.5), min(10 * mean, 0.9)})
        value, _err = integrate.quad(integrand, 0.0, 1.0, points=points, limit=200)
        return float(self.probability_alive([x], [t_x], [T])[0]) * value

    def params(self) -> dict:
        return {"r": self.r, "alpha": self.alpha, "a": self.a, "b": self.b}


def bgnbd_log_likelihood(params, x, t_x, T) -> np.ndarray:
    """Per-customer log-likelihood of BG/NBD (Fader, Hardie & Lee 2005, equation 6)."""
    r, alpha, a, b = params
    a1 = special.gammaln(r + x) - special.gammaln(r) + r * np.log(alpha)
    a2 = special.gammaln(a + b) + special.gammaln(b + x) - special.gammaln(b)
    a2 -= special.gammaln(a + b + x)
    a3 = -(r + x) * np.log(alpha + T)
    with np.errstate(divide="ignore", invalid="ignore"):
        a4 = np.where(
            x > 0,
            np.log(a) - np.log(np.maximum(b + x - 1, 1e-300)) - (r + x) * np.log(alpha + t_x),
            -np.inf,
        )
    return a1 + a2 + np.logaddexp(a3, a4)


def bgnbd_gradient(params, x, t_x, T) -> np.ndarray:
    """Per-customer gradient of :func:`bgnbd_log_likelihood` in (r, α, a, b): digammas for the
    gamma terms, and the two branches of the last term weighted by their share of it."""
    r, alpha, a, b = params
    a3 = -(r + x) * np.log(alpha + T)
    repeat = x > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        a4 = np.where(
            repeat,
            np.log(a) - np.log(np.maximum(b + x - 1, 1e-300)) - (r + x) * np.log(alpha + t_x),
            -np.inf,
        )
    total = np.logaddexp(a3, a4)
    w3 = np.exp(a3 - total)
    w4 = np.where(repeat, np.exp(a4 - total), 0.0)
    psi = special.digamma
    d_r = psi(r + x) - psi(r) + np.log(alpha) - w3 * np.log(alpha + T)
    d_r -= np.where(repeat, w4 * np.log(alpha + t_x), 0.0)
    d_alpha = r / alpha - w3 * (r + x) / (alpha + T)
    d_alpha -= np.where(repeat, w4 * (r + x) / (alpha + t_x), 0.0)
    d_a = psi(a + b) - psi(a + b + x) + w4 / a
    d_b = psi(a + b) + psi(b + x) - psi(b) - psi(a + b + x)
    d_b -= np.where(repeat, w4 / np.maximum(b + x - 1, 1e-300), 0.0)
    return np.stack([d_r, d_alpha, d_a, d_b])


def fit_bgnbd(frequency, recency, age, *, penalizer: float = 0.0) -> BgNbd:
    """Fit BG/NBD by maximum likelihood to customers' (x, t_x, T). ``penalizer`` adds an L2
    penalty on the parameters (0 = the published, unpenalised estimates)."""
    x, t_x, T = _arrays(frequency, recency, age)
    _check_summary(x, t_x, T)

    def nll(logp):
        params = np.exp(logp)
        ll = bgnbd_log_likelihood(params, x, t_x, T)
        # gradient in log-parameters: dθ/dlogθ = θ
        grad = -bgnbd_gradient(params, x, t_x, T).mean(axis=1) * params
        grad += penalizer * 2 * params**2
        return -(ll.mean()) + penalizer * float(np.sum(params**2)), grad

    scale = float(T.max()) if T.size else 1.0
    start = np.log([1.0, min(max(scale / 10, 1e-3), 1e5), 1.0, 1.0])
    logp, ok, fun = _minimise(nll, start, jac=True, bounds=BOUNDS)
    r, alpha, a, b = (float(v) for v in np.exp(logp))
    return BgNbd(r, alpha, a, b, -fun * len(x), ok and math.isfinite(fun), len(x))


@dataclass(frozen=True)
class GammaGamma:
    """A fitted Gamma-Gamma spend model: spend per purchase ~ Gamma(p, ν), ν ~ Gamma(q, γ)."""

    p: float
    q: float
    v: float
    log_likelihood: float = 0.0
    converged: bool = True
    customers: int = 0
    notes: list[str] = field(default_factory=list)

    def expected_spend(self, frequency, monetary) -> np.ndarray:
        """E[M | x, m_x] = (p(v + x·m_x)) / (p·x + q − 1): shrinks a customer's mean spend
        towards the population mean p·v/(q−1), less so the more purchases they made."""
        x, m = _arrays(frequency, monetary)
        if self.q <= 1:
            raise ModelFitError("q ≤ 1: the population mean spend is infinite")
        pop = self.p * self.v / (self.q - 1)
        out = np.full_like(x, pop)
        pos = x > 0
        out[pos] = self.p * (self.v + x[pos] * m[pos]) / (self.p * x[pos] + self.q - 1)
        return out

    def params(self) -> dict:
        return {"p": self.p, "q": self.q, "v": self.v}


def gamma_gamma_log_likelihood(params, x, m) -> np.ndarray:
    """Per-customer log-likelihood of the mean spend m_x of x purchases (Fader & Hardie 2013)."""
    p, q, v = params
    px = p * x
    return (
        special.gammaln(px + q)
        - special.gammaln(px)
        - special.gammaln(q)
        + q * np.log(v)
        + (px - 1) * np.log(m)
        + px * np.log(x)
        - (px + q) * np.log(v + x * m)
    )


def fit_gamma_gamma(frequency, monetary) -> GammaGamma:
    """Fit Gamma-Gamma to the repeat buyers (x > 0, mean spend > 0); one-time buyers carry no
    spend variation and are left out, as the model prescribes."""
    x, m = _arrays(frequency, monetary)
    keep = (x > 0) & (m > 0)
    if not np.any(keep):
        raise ModelFitError("no repeat buyers with a positive spend: the spend model needs them")
    x, m = x[keep], m[keep]

    def nll(logp):
        return -gamma_gamma_log_likelihood(np.exp(logp), x, m).mean()

    logp, ok, fun = _minimise(nll, np.log([1.0, 1.0, max(float(np.mean(m)), 1e-3)]))
    p, q, v = (float(val) for val in np.exp(logp))
    notes = [] if q > 1 else ["q ≤ 1: spend has no finite population mean"]
    return GammaGamma(p, q, v, -fun * len(x), ok and math.isfinite(fun), len(x), notes)


def clv(
    model: BgNbd,
    spend: GammaGamma,
    frequency,
    recency,
    age,
    monetary,
    *,
    periods: int = 12,
    period_length: float = 1.0,
    discount_rate: float = 0.01,
    margin: float = 1.0,
) -> np.ndarray:
    """Lifetime value over ``periods`` future periods (each ``period_length`` model time units):
    Σ_k (E[Y(k·L)] − E[Y((k−1)·L)]) · E[M] · margin / (1 + d)^k — the expected purchases of
    each future period, valued at the expected spend and discounted per period."""
    x, t_x, T, m = _arrays(frequency, recency, age, monetary)
    value_per_purchase = spend.expected_spend(x, m) * margin
    total = np.zeros_like(x)
    previous = np.zeros_like(x)
    for k in range(1, periods + 1):
        upto = model.expected_purchases(k * period_length, x, t_x, T)
        total += (upto - previous) * value_per_purchase / (1 + discount_rate) ** k
        previous = upto
    return total

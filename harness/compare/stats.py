"""Welch's t interval for the difference of two means, with no dependency beyond the stdlib.

Why Welch and not a bootstrap: a benchmark run has few repetitions per level (2-5). A percentile
bootstrap of two values can only produce three distinct means, so its interval is far too narrow
and it would call ordinary machine noise "significant" -- the worst failure for a CI gate on a
shared runner. Welch's interval widens honestly with few repetitions (Student's t with
Welch-Satterthwaite degrees of freedom) and does not assume both runs are equally noisy.

The t quantile comes from the regularized incomplete beta function (continued fraction, as in
Numerical Recipes) inverted by bisection: accurate to ~1e-10, which is far more than a gate
needs, and it spares the project a scipy dependency for one function.

Why a relative change is judged on the log scale (``ratio_interval``): throughput and latency are
positive and their noise is multiplicative (a machine 20% slower scales a run, it does not subtract
from it). On a noisy baseline the interval of the plain difference divided by the base mean can
reach below -100%, a throughput below zero: measured here, a 6x slowdown came out
-83.8% [-168.8%, +1.1%], INCONCLUSIVE. The same repetitions on the log scale give an interval of
ratios, asymmetric as the noise is, and never below -100%.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass

_EPS = 1e-15
_TINY = 1e-300


def _beta_continued_fraction(a: float, b: float, x: float) -> float:
    """Continued fraction of the incomplete beta function (modified Lentz's method)."""
    qab, qap, qam = a + b, a + 1.0, a - 1.0
    c, d = 1.0, 1.0 - qab * x / qap
    d = 1.0 / (d if abs(d) > _TINY else _TINY)
    h = d
    for m in range(1, 500):
        m2 = 2 * m
        aa = m * (b - m) * x / ((qam + m2) * (a + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > _TINY else _TINY)
        c = 1.0 + aa / c
        c = c if abs(c) > _TINY else _TINY
        h *= d * c
        aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > _TINY else _TINY)
        c = 1.0 + aa / c
        c = c if abs(c) > _TINY else _TINY
        delta = d * c
        h *= delta
        if abs(delta - 1.0) < _EPS:
            break
    return h


def regularized_beta(x: float, a: float, b: float) -> float:
    """I_x(a, b) for 0 <= x <= 1 and a, b > 0."""
    if x <= 0.0:
        return 0.0
    if x >= 1.0:
        return 1.0
    log_front = math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x)
    front = math.exp(log_front)
    # The continued fraction converges fast only on one side of the mean; use the symmetry there.
    if x < (a + 1.0) / (a + b + 2.0):
        return front * _beta_continued_fraction(a, b, x) / a
    return 1.0 - front * _beta_continued_fraction(b, a, 1.0 - x) / b


def t_cdf(t: float, df: float) -> float:
    """P(T <= t) for Student's t with ``df`` > 0 degrees of freedom (``df`` need not be whole)."""
    if math.isinf(df):
        return 0.5 * (1.0 + math.erf(t / math.sqrt(2.0)))
    tail = 0.5 * regularized_beta(df / (df + t * t), df / 2.0, 0.5)
    return 1.0 - tail if t > 0 else tail


def t_quantile(p: float, df: float) -> float:
    """The ``p`` quantile of Student's t with ``df`` degrees of freedom, 0 < p < 1."""
    if not 0.0 < p < 1.0:
        raise ValueError(f"p must be in (0, 1), got {p}")
    if p < 0.5:
        return -t_quantile(1.0 - p, df)
    if p == 0.5:
        return 0.0
    high = 1.0
    while t_cdf(high, df) < p:
        high *= 2.0
    low = 0.0
    for _ in range(200):
        mid = (low + high) / 2.0
        if t_cdf(mid, df) < p:
            low = mid
        else:
            high = mid
        if high - low < 1e-12 * max(1.0, high):
            break
    return (low + high) / 2.0


def mean_interval(values: Sequence[float], confidence: float = 0.95) -> tuple[float, float | None, float | None]:
    """(mean, low, high): the mean of repetitions and its two-sided Student-t interval; low and high are
    None for a single value (no estimate of its spread, so no honest interval)."""
    if not values:
        raise ValueError("no values")
    mean = statistics.fmean(values)
    if len(values) < 2:
        return mean, None, None
    half = t_quantile(0.5 + confidence / 2, len(values) - 1) * statistics.stdev(values) / math.sqrt(len(values))
    return mean, mean - half, mean + half


@dataclass(frozen=True)
class WelchInterval:
    """``new - base``: the difference of the means and its two-sided confidence interval.

    ``df`` is infinite when neither side varies (every repetition gave the same number): the
    interval is then the single point ``difference``.
    """

    difference: float
    low: float
    high: float
    df: float
    confidence: float

    @property
    def excludes_zero(self) -> bool:
        """True when the interval lies entirely above or entirely below 0 (a significant change)."""
        return self.low > 0.0 or self.high < 0.0


def welch_interval(base: Sequence[float], new: Sequence[float], confidence: float = 0.95) -> WelchInterval | None:
    """Welch's interval for ``mean(new) - mean(base)``; ``None`` when either side has fewer than 2 values.

    With a single value on a side there is no estimate of its spread, so no honest interval exists.
    """
    if len(base) < 2 or len(new) < 2:
        return None
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must be in (0, 1), got {confidence}")
    mean_base, mean_new = statistics.fmean(base), statistics.fmean(new)
    share_base = statistics.variance(base) / len(base)
    share_new = statistics.variance(new) / len(new)
    se2 = share_base + share_new
    difference = mean_new - mean_base
    if se2 == 0.0:
        return WelchInterval(difference, difference, difference, math.inf, confidence)
    df = se2 * se2 / (share_base**2 / (len(base) - 1) + share_new**2 / (len(new) - 1))
    half_width = t_quantile(1.0 - (1.0 - confidence) / 2.0, df) * math.sqrt(se2)
    return WelchInterval(difference, difference - half_width, difference + half_width, df, confidence)


@dataclass(frozen=True)
class RatioInterval:
    """``new / base``: the ratio of the geometric means and its two-sided confidence interval, from Welch's
    interval of the difference of the means of the logarithms. Its bounds are ratios (0.7 = 30% lower), so
    the change they imply can never fall below -100%, however noisy the runs."""

    ratio: float
    low: float
    high: float
    df: float
    confidence: float

    @property
    def excludes_one(self) -> bool:
        """True when the interval lies entirely above or entirely below 1 (a significant change)."""
        return self.low > 1.0 or self.high < 1.0


def ratio_interval(base: Sequence[float], new: Sequence[float], confidence: float = 0.95) -> RatioInterval | None:
    """Welch's interval on the log scale; ``None`` when either side has fewer than 2 values or any value is not
    positive (a logarithm needs a positive number: an error rate of 0 has none)."""
    if any(v <= 0.0 for v in (*base, *new)):
        return None
    interval = welch_interval([math.log(v) for v in base], [math.log(v) for v in new], confidence)
    if interval is None:
        return None
    return RatioInterval(math.exp(interval.difference), math.exp(interval.low), math.exp(interval.high),
                         interval.df, confidence)


def repetitions_to_resolve(
    base: Sequence[float], new: Sequence[float], confidence: float = 0.95, limit: int = 1000
) -> int | None:
    """Repetitions per side at which Welch's interval would exclude 0, if the observed means and spreads held.

    This is what an INCONCLUSIVE gate verdict asks for: the difference was seen, the interval was
    too wide to call it. The half-width shrinks as n grows (smaller standard error, larger df), so
    the smallest such n is found by doubling, then bisection. ``None`` when either side has fewer
    than 2 values (no spread to extrapolate from), the means are equal, or more than ``limit``
    repetitions would be needed.
    """
    if len(base) < 2 or len(new) < 2:
        return None
    difference = abs(statistics.fmean(new) - statistics.fmean(base))
    var_base, var_new = statistics.variance(base), statistics.variance(new)
    if difference == 0.0:
        return None
    if var_base + var_new == 0.0:
        return 2

    def resolves(n: int) -> bool:
        share_base, share_new = var_base / n, var_new / n
        se2 = share_base + share_new
        df = se2 * se2 / ((share_base**2 + share_new**2) / (n - 1))
        return t_quantile(1.0 - (1.0 - confidence) / 2.0, df) * math.sqrt(se2) < difference

    high = 2
    while not resolves(high):
        if high >= limit:
            return None
        high = min(limit, high * 2)
    low = high // 2  # resolves(low) is False, or low < 2
    while high - low > 1:
        mid = (low + high) // 2
        if mid >= 2 and resolves(mid):
            high = mid
        else:
            low = mid
    return high

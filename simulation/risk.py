"""Predicted risk: an imperfect score of each person's chance of an emergency admission next year.

Real risk-stratification tools rank people by a score that predicts next-year
admission with a c-statistic of roughly 0.7-0.8, not perfectly. careshift makes
such a score from each person's true expected rate plus noise,

    score = log(expected rate) + sigma x N(0, 1),

with sigma chosen (by bisection on a simulated outcome) so that the score's
c-statistic for "admitted in the next year" equals a target. Selecting the top
x % by this score then selects imperfectly, and people selected for high
*observed* past use regress to the mean, as in the evaluations this model is
meant to reproduce.
"""

from __future__ import annotations

import numpy as np


def c_statistic(score: np.ndarray, outcome: np.ndarray) -> float:
    """Area under the ROC curve (probability a random case outranks a random non-case; ties count half).

    The Mann-Whitney form, (sum of the cases' ranks - n1 (n1 + 1) / 2) / (n1 n0), with tied scores
    given the average of their ranks. A case's average rank is (#scores below it + #scores at or
    below it + 1) / 2: two binary searches in the sorted scores, which is several times faster than
    ranking everyone. The sum of these half-integers is exact, so the result is the same float as
    ranking with ``scipy.stats.rankdata`` gives. NaN if there is no case, no non-case, or a NaN score.
    """
    score = np.asarray(score, dtype=np.float64)
    outcome = np.asarray(outcome, dtype=bool)
    n1 = int(outcome.sum())
    n0 = outcome.size - n1
    if n1 == 0 or n0 == 0 or np.isnan(score).any():
        return float("nan")
    ordered = np.sort(score)
    cases = score[outcome]
    below = np.searchsorted(ordered, cases, side="left")
    at_or_below = np.searchsorted(ordered, cases, side="right")
    rank_sum = float((below + at_or_below + 1).sum()) / 2.0
    return float((rank_sum - n1 * (n1 + 1) / 2.0) / (n1 * n0))


def admission_probability(expected_crises: np.ndarray, admissions_per_crisis: float) -> np.ndarray:
    """P(at least one admission in a year) for expected crises per year (Poisson)."""
    return -np.expm1(-np.asarray(expected_crises) * admissions_per_crisis)


def noise_for_c_statistic(expected_crises: np.ndarray, admissions_per_crisis: float, target: float,
                          rng: np.random.Generator, tolerance: float = 0.002) -> tuple[float, float]:
    """The noise sd that gives a score with the target c-statistic, and the best achievable c.

    The outcome is drawn once (Bernoulli with :func:`admission_probability`) and
    the same normal draws are reused for every sigma, so the search is smooth.
    Returns ``(sigma, c_max)``; when the target exceeds ``c_max`` sigma is 0.
    """
    p = admission_probability(expected_crises, admissions_per_crisis)
    outcome = rng.random(p.size) < p
    base = np.log(np.maximum(expected_crises, 1e-12))
    noise = rng.standard_normal(p.size)
    c_max = c_statistic(base, outcome)
    if target >= c_max:
        return 0.0, c_max
    lo, hi = 0.0, 1.0
    while c_statistic(base + hi * noise, outcome) > target:
        hi *= 2.0
        if hi > 1e3:
            break
    for _ in range(60):
        mid = (lo + hi) / 2.0
        c = c_statistic(base + mid * noise, outcome)
        if abs(c - target) < tolerance / 4:
            return mid, c_max
        if c > target:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2.0, c_max


def predicted_risk(expected_crises: np.ndarray, sigma: float, rng: np.random.Generator) -> np.ndarray:
    """The score: log expected crises plus normal noise of sd `sigma` (higher = riskier)."""
    return np.log(np.maximum(expected_crises, 1e-12)) + sigma * rng.standard_normal(np.asarray(expected_crises).size)


def top_fraction(score: np.ndarray, eligible: np.ndarray, fraction: float) -> np.ndarray:
    """Ids of the top `fraction` of eligible people by score (ties broken by id, deterministic)."""
    ids = np.flatnonzero(eligible)
    k = int(round(fraction * ids.size))
    if k <= 0:
        return ids[:0]
    order = np.lexsort((ids, -score[ids]))
    return np.sort(ids[order[:k]])

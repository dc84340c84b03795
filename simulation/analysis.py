"""Statistics of replications: confidence intervals, paired scenario comparisons, replication adequacy and warm-up detection."""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable

import numpy as np
import pandas as pd

__all__ = [
    "mean_ci",
    "summarise_runs",
    "paired_differences",
    "replication_adequacy",
    "mser5",
    "warmup_check",
    "discount_factors",
    "break_even_year",
    "ratio_ci",
]

#: Columns every long ``runs`` table must carry.
RUN_COLUMNS = ("scenario", "replication", "metric", "year", "value")

#: The year label used for whole-run (all years pooled) results.
ALL_YEARS = "all"


# ---------------------------------------------------------------------------
# Private helpers
# ---------------------------------------------------------------------------
def _check_confidence(confidence: float) -> float:
    """Validate a two-sided confidence level and return it as a float.

    Parameters
    ----------
    confidence : float
        Confidence level, strictly between 0 and 1.

    Returns
    -------
    float
        The confidence level.

    Raises
    ------
    ValueError
        If ``confidence`` is not strictly between 0 and 1.
    """
    c = float(confidence)
    if not 0.0 < c < 1.0:
        raise ValueError(f"confidence must lie strictly between 0 and 1, got {confidence!r}")
    return c


def _t_quantile(confidence: float, df) -> np.ndarray:
    """Upper two-sided Student t quantile ``t_{(1 + confidence)/2, df}``.

    Parameters
    ----------
    confidence : float
        Two-sided confidence level.
    df : array_like
        Degrees of freedom (positive).

    Returns
    -------
    numpy.ndarray
        The quantile(s), same shape as ``df``.
    """
    from scipy import stats  # imported on use: scipy.stats costs ~0.9 s at every worker's start

    return stats.t.ppf(0.5 * (1.0 + confidence), df)


def _t_interval(mean, sd, n, constant, confidence: float):
    """Vectorised Student t interval from summary statistics.

    The interval is ``mean -/+ t_{(1+c)/2, n-1} * sd / sqrt(n)``. Where
    ``n < 2`` the bounds are NaN; where the sample is constant (``constant``
    true) the half-width is exactly 0, so the interval collapses to the mean.

    Parameters
    ----------
    mean, sd, n : array_like
        Sample mean, sample standard deviation (``ddof=1``) and count.
    constant : array_like of bool
        True where every observation in the sample is identical.
    confidence : float
        Two-sided confidence level.

    Returns
    -------
    low, high, half : numpy.ndarray
        Lower bound, upper bound and half-width (NaN where ``n < 2``).
    """
    mean = np.asarray(mean, dtype=float)
    sd = np.asarray(sd, dtype=float)
    n = np.asarray(n, dtype=float)
    constant = np.asarray(constant, dtype=bool)
    ok = n >= 2
    df = np.where(ok, n - 1.0, 1.0)  # placeholder df where not ok; masked below
    with np.errstate(invalid="ignore", divide="ignore"):
        half = _t_quantile(confidence, df) * sd / np.sqrt(np.where(ok, n, 1.0))
    half = np.where(constant, 0.0, half)
    half = np.where(ok, half, np.nan)
    return mean - half, mean + half, half


def _check_runs(runs: pd.DataFrame, *, check_duplicates: bool = True) -> None:
    """Validate the long ``runs`` table.

    Parameters
    ----------
    runs : pandas.DataFrame
        Table expected to hold :data:`RUN_COLUMNS`.
    check_duplicates : bool, default True
        Also reject repeated ``(scenario, replication, metric, year)`` keys.

    Raises
    ------
    TypeError
        If ``runs`` is not a DataFrame.
    ValueError
        If columns are missing or keys are duplicated.
    """
    if not isinstance(runs, pd.DataFrame):
        raise TypeError(f"runs must be a pandas DataFrame, got {type(runs).__name__}")
    missing = [c for c in RUN_COLUMNS if c not in runs.columns]
    if missing:
        raise ValueError(f"runs is missing required column(s): {missing}")
    if check_duplicates:
        dup = runs.duplicated(subset=["scenario", "replication", "metric", "year"], keep=False)
        if dup.any():
            example = runs.loc[dup, ["scenario", "replication", "metric", "year"]].iloc[0].to_dict()
            raise ValueError(
                f"runs has {int(dup.sum())} rows with a repeated (scenario, replication, metric, year) key, "
                f"e.g. {example}; each replication must report one value per metric and year"
            )


def _values(runs: pd.DataFrame) -> np.ndarray:
    """The ``value`` column as a float array with missing values as NaN.

    Parameters
    ----------
    runs : pandas.DataFrame
        Runs table.

    Returns
    -------
    numpy.ndarray
        Float values.
    """
    return pd.to_numeric(runs["value"], errors="raise").to_numpy(dtype=float, na_value=np.nan)


def _is_number(y) -> bool:
    """True for real numbers (int, float, numpy scalars), excluding bools and NaN."""
    if isinstance(y, (bool, np.bool_)):
        return False
    if isinstance(y, numbers.Real):
        return not (isinstance(y, float) or isinstance(y, np.floating)) or not math.isnan(y)
    return False


def _year_ranks(years: Iterable) -> dict:
    """Map each distinct year label to its sort rank.

    Numeric years come first in ascending order, then any other labels in
    order of first appearance, then ``'all'``, then missing labels.

    Parameters
    ----------
    years : iterable
        Year labels, in table order.

    Returns
    -------
    dict
        ``{label: rank}``.
    """
    uniq = list(pd.unique(pd.Series(list(years), dtype=object)))
    numeric = sorted((y for y in uniq if _is_number(y)), key=float)
    other = [y for y in uniq if not _is_number(y) and not pd.isna(y) and y != ALL_YEARS]
    alls = [y for y in uniq if isinstance(y, str) and y == ALL_YEARS]
    missing = [y for y in uniq if not isinstance(y, str) and not _is_number(y) and pd.isna(y)]
    ordered = numeric + other + alls + missing
    return {y: i for i, y in enumerate(ordered)}


def _first_appearance_ranks(values: Iterable) -> dict:
    """Map each distinct label to the position of its first appearance."""
    return {v: i for i, v in enumerate(pd.unique(pd.Series(list(values), dtype=object)))}


def _sort_tidy(out: pd.DataFrame, runs: pd.DataFrame) -> pd.DataFrame:
    """Sort a result table by scenario, metric and year in the documented order.

    Scenarios and metrics follow their order of first appearance in
    ``runs``; years follow :func:`_year_ranks`.

    Parameters
    ----------
    out : pandas.DataFrame
        Result with ``scenario``, ``metric`` and ``year`` columns.
    runs : pandas.DataFrame
        The source runs table that defines the orders.

    Returns
    -------
    pandas.DataFrame
        Sorted copy with a fresh RangeIndex and ``year`` as object dtype.
    """
    s_rank = _first_appearance_ranks(runs["scenario"])
    m_rank = _first_appearance_ranks(runs["metric"])
    y_rank = _year_ranks(runs["year"])
    keys = pd.DataFrame(
        {
            "_s": [s_rank[v] for v in out["scenario"]],
            "_m": [m_rank[v] for v in out["metric"]],
            "_y": [y_rank[v] for v in out["year"]],
        },
        index=out.index,
    )
    order = keys.sort_values(["_s", "_m", "_y"], kind="stable").index
    result = out.loc[order].reset_index(drop=True)
    result["year"] = pd.Series(list(result["year"]), dtype=object, index=result.index)
    return result


def _group_stats(frame: pd.DataFrame, by: list[str], column: str) -> pd.DataFrame:
    """Mean, sample SD, non-NaN count and a constancy flag of ``column`` per group.

    Parameters
    ----------
    frame : pandas.DataFrame
        Data.
    by : list of str
        Grouping columns.
    column : str
        Float column to summarise (NaN ignored).

    Returns
    -------
    pandas.DataFrame
        Columns ``by + ['mean', 'sd', 'n', 'constant']``; for constant groups
        ``mean`` is set to the common value exactly.
    """
    g = (
        frame.groupby(by, sort=False, dropna=False)[column]
        .agg(mean="mean", sd="std", n="count", lo="min", hi="max")
        .reset_index()
    )
    constant = (g["n"] >= 1) & (g["lo"] == g["hi"])
    g["mean"] = g["mean"].where(~constant, g["lo"])
    g["constant"] = constant
    g["n"] = g["n"].astype(np.int64)
    return g.drop(columns=["lo", "hi"])


# ---------------------------------------------------------------------------
# Public API
# ---------------------------------------------------------------------------
def mean_ci(values, confidence: float = 0.95) -> tuple[float, float, float]:
    r"""Mean and Student t confidence interval of replication values.

    With :math:`n` non-missing values :math:`x_1..x_n`, sample mean
    :math:`\bar x` and sample standard deviation
    :math:`s = \sqrt{\sum (x_i - \bar x)^2 / (n - 1)}`, the interval is

    .. math:: \bar x \pm t_{(1+c)/2,\,n-1}\, s / \sqrt{n}

    where :math:`t_{p,\nu}` is the :math:`p` quantile of Student's t with
    :math:`\nu` degrees of freedom and :math:`c` the confidence level.

    Parameters
    ----------
    values : array_like
        One value per replication. NaNs are dropped.
    confidence : float, default 0.95
        Two-sided confidence level, strictly between 0 and 1.

    Returns
    -------
    mean, ci_low, ci_high : float
        ``(nan, nan, nan)`` when no values remain, ``(x, nan, nan)`` for a
        single value, and ``(m, m, m)`` when all values are identical.

    Raises
    ------
    ValueError
        If ``confidence`` is not in (0, 1).

    Examples
    --------
    >>> m, lo, hi = mean_ci([2, 4, 4, 4, 5, 5, 7, 9])
    >>> round(m, 3), round(lo, 3), round(hi, 3)
    (5.0, 3.213, 6.787)
    """
    c = _check_confidence(confidence)
    v = np.asarray(values, dtype=float).ravel()
    v = v[~np.isnan(v)]
    n = v.size
    if n == 0:
        return (math.nan, math.nan, math.nan)
    constant = bool(v.min() == v.max())
    m = float(v[0]) if constant else float(np.mean(v))
    if n == 1:
        return (m, math.nan, math.nan)
    sd = float(np.std(v, ddof=1))
    low, high, _ = _t_interval(m, sd, n, constant, c)
    return (m, float(low), float(high))


def summarise_runs(runs: pd.DataFrame, confidence: float = 0.95) -> pd.DataFrame:
    """Mean and t confidence interval of every scenario, metric and year across replications.

    Each ``(scenario, metric, year)`` group is summarised exactly as
    :func:`mean_ci` would summarise its ``value`` column (NaNs dropped).

    Parameters
    ----------
    runs : pandas.DataFrame
        Long table with columns ``scenario``, ``replication``, ``metric``,
        ``year`` and ``value``. ``year`` holds integers ``1..N`` and/or the
        string ``'all'``; labels are kept as they come. Each
        ``(scenario, replication, metric, year)`` key must appear once.
    confidence : float, default 0.95
        Two-sided confidence level.

    Returns
    -------
    pandas.DataFrame
        Columns ``scenario, metric, year, mean, ci_low, ci_high,
        replications`` where ``replications`` counts non-NaN values. Rows are
        ordered by scenario and metric (order of first appearance in
        ``runs``) and year (numbers ascending, then ``'all'``); ``year`` has
        object dtype.

    Raises
    ------
    ValueError
        If columns are missing, keys are duplicated or ``confidence`` is
        not in (0, 1).
    """
    c = _check_confidence(confidence)
    _check_runs(runs)
    frame = runs.loc[:, ["scenario", "metric", "year"]].copy()
    frame["year"] = frame["year"].astype(object)
    frame["value"] = _values(runs)
    g = _group_stats(frame, ["scenario", "metric", "year"], "value")
    low, high, _ = _t_interval(g["mean"], g["sd"], g["n"], g["constant"], c)
    out = pd.DataFrame(
        {
            "scenario": g["scenario"],
            "metric": g["metric"],
            "year": g["year"],
            "mean": g["mean"].to_numpy(dtype=float),
            "ci_low": low,
            "ci_high": high,
            "replications": g["n"].to_numpy(dtype=np.int64),
        }
    )
    return _sort_tidy(out, runs)


def paired_differences(runs: pd.DataFrame, baseline: str, confidence: float = 0.95) -> pd.DataFrame:
    r"""Paired (common random numbers) differences of every scenario from a baseline.

    For each non-baseline scenario, metric and year, replications are matched
    on the ``replication`` label; only replications with a non-NaN value in
    both the scenario and the baseline are used. With matched differences
    :math:`d_i = x_i^{scen} - x_i^{base}`, :math:`i = 1..n`, the result is
    the mean :math:`\bar d` and the Student t interval
    :math:`\bar d \pm t_{(1+c)/2,\,n-1}\, s_d / \sqrt{n}` (see
    :func:`mean_ci`). Because common random numbers make the two arms
    positively correlated, :math:`s_d` is usually much smaller than an
    unpaired comparison would give.

    Parameters
    ----------
    runs : pandas.DataFrame
        Long runs table as for :func:`summarise_runs`.
    baseline : str
        Name of the baseline scenario.
    confidence : float, default 0.95
        Two-sided confidence level.

    Returns
    -------
    pandas.DataFrame
        Columns ``scenario, metric, year, baseline_mean, scenario_mean,
        diff_mean, diff_ci_low, diff_ci_high, pct_change, replications``.
        ``baseline_mean`` and ``scenario_mean`` are means over the matched
        replications only; ``pct_change = diff_mean / baseline_mean * 100``
        and is NaN when ``baseline_mean`` is 0. ``replications`` is the
        number of matched pairs. There is a row for each metric and year
        found in either arm; with no matched pairs the statistics are NaN
        and ``replications`` is 0. Ordered as :func:`summarise_runs`.

    Raises
    ------
    ValueError
        If ``baseline`` is not a scenario in ``runs``, columns are missing,
        keys are duplicated or ``confidence`` is not in (0, 1).
    """
    c = _check_confidence(confidence)
    _check_runs(runs)
    frame = runs.loc[:, ["scenario", "replication", "metric", "year"]].copy()
    frame["year"] = frame["year"].astype(object)
    frame["value"] = _values(runs)

    is_base = (frame["scenario"] == baseline).to_numpy(dtype=bool)
    if not is_base.any():
        raise ValueError(f"baseline scenario {baseline!r} not found in runs")
    keys = ["metric", "year", "replication"]
    base = frame.loc[is_base, keys + ["value"]].rename(columns={"value": "base"})

    columns = [
        "scenario", "metric", "year", "baseline_mean", "scenario_mean", "diff_mean",
        "diff_ci_low", "diff_ci_high", "pct_change", "replications",
    ]
    pieces = []
    others = [s for s in pd.unique(frame["scenario"]) if s != baseline]
    for scenario in others:
        scen = frame.loc[(frame["scenario"] == scenario).to_numpy(dtype=bool), keys + ["value"]]
        scen = scen.rename(columns={"value": "scen"})
        merged = scen.merge(base, on=keys, how="outer", sort=False)
        matched = merged["scen"].notna() & merged["base"].notna()
        merged["scen"] = merged["scen"].where(matched)
        merged["base"] = merged["base"].where(matched)
        merged["diff"] = merged["scen"] - merged["base"]

        d = _group_stats(merged, ["metric", "year"], "diff")
        means = (
            merged.groupby(["metric", "year"], sort=False, dropna=False)[["base", "scen"]]
            .mean()
            .reset_index()
        )
        d = d.merge(means, on=["metric", "year"], how="left", sort=False)
        low, high, _ = _t_interval(d["mean"], d["sd"], d["n"], d["constant"], c)
        base_mean = d["base"].to_numpy(dtype=float)
        diff_mean = d["mean"].to_numpy(dtype=float)
        nonzero = np.isfinite(base_mean) & (base_mean != 0)
        pct = np.full(base_mean.shape, np.nan)
        np.divide(diff_mean, base_mean, out=pct, where=nonzero)
        pct = np.where(nonzero, pct * 100.0, np.nan)
        pieces.append(
            pd.DataFrame(
                {
                    "scenario": [scenario] * len(d),
                    "metric": d["metric"].to_numpy(dtype=object),
                    "year": d["year"].to_numpy(dtype=object),
                    "baseline_mean": base_mean,
                    "scenario_mean": d["scen"].to_numpy(dtype=float),
                    "diff_mean": diff_mean,
                    "diff_ci_low": low,
                    "diff_ci_high": high,
                    "pct_change": pct,
                    "replications": d["n"].to_numpy(dtype=np.int64),
                }
            )
        )
    if not pieces:
        empty = pd.DataFrame({col: pd.Series(dtype=object if col in ("scenario", "metric", "year") else float)
                              for col in columns})
        empty["replications"] = empty["replications"].astype(np.int64)
        return empty
    out = pd.concat(pieces, ignore_index=True)
    return _sort_tidy(out, runs)


def _replications_needed(sd: float, mean: float, target: float, confidence: float) -> float:
    r"""Least number of replications whose t half-width meets a relative target.

    Returns the least integer :math:`n \ge 2` with

    .. math:: t_{(1+c)/2,\,n-1}\, s / \sqrt{n} \le \gamma\, |\bar x|,

    i.e. the fixed point of :math:`n = \lceil (t_{n-1} s / (\gamma |\bar x|))^2 \rceil`.
    Because the left-hand side decreases in :math:`n` the least solution is
    found by doubling then bisection; naive fixed-point iteration can
    oscillate when :math:`t` changes quickly at small :math:`n`.

    Parameters
    ----------
    sd, mean : float
        Pilot sample standard deviation and mean.
    target : float
        Target relative half-width :math:`\gamma` (> 0).
    confidence : float
        Two-sided confidence level.

    Returns
    -------
    float
        The number of replications (integral value), or NaN if ``mean`` is
        0 or either input is not finite.
    """
    if not (math.isfinite(sd) and math.isfinite(mean)) or mean == 0:
        return math.nan
    bound = target * abs(mean)
    if sd == 0:
        return 2.0

    def meets(n: int) -> bool:
        return float(_t_quantile(confidence, n - 1)) * sd / math.sqrt(n) <= bound

    if meets(2):
        return 2.0
    # Normal-quantile lower bound: t_{n-1} > z, so any solution has n > (z s / bound)^2.
    from scipy import stats

    z = float(stats.norm.ppf(0.5 * (1.0 + confidence)))
    z_bound = (z * sd / bound) ** 2
    if not z_bound < 1e15:
        # Astronomically many replications (|mean| tiny relative to sd): t equals z to
        # double precision at such n, so the normal-theory answer is exact enough.
        return float(math.ceil(z_bound)) if math.isfinite(z_bound) else math.inf
    lo = max(2, math.floor(z_bound))  # meets(lo) is False or lo is the answer
    if meets(lo):
        return float(lo)
    hi = max(lo + 1, 2 * lo)
    while not meets(hi):
        lo, hi = hi, 2 * hi
    while hi - lo > 1:  # invariant: not meets(lo), meets(hi)
        mid = (lo + hi) // 2
        if meets(mid):
            hi = mid
        else:
            lo = mid
    return float(hi)


def replication_adequacy(
    runs: pd.DataFrame,
    metrics: list[str],
    target_rel_half_width: float = 0.05,
    confidence: float = 0.95,
) -> pd.DataFrame:
    r"""Whether each scenario has enough replications for a target relative precision.

    Uses only the whole-run rows (``year == 'all'``). For each scenario and
    requested metric, with :math:`n` non-NaN replication values, mean
    :math:`\bar x` and sample SD :math:`s`:

    * ``half_width`` :math:`h = t_{(1+c)/2,\,n-1}\, s/\sqrt{n}`;
    * ``rel_half_width`` :math:`h / |\bar x|`;
    * ``replications_needed``: the least :math:`n' \ge 2` with
      :math:`t_{(1+c)/2,\,n'-1}\, s/\sqrt{n'} \le \gamma |\bar x|`, i.e. the
      solution of :math:`n' = \lceil (t_{n'-1} s / (\gamma |\bar x|))^2 \rceil`
      with :math:`t` evaluated at the new :math:`n'` (Law 2015, sec. 9.4.1,
      treating the pilot :math:`s` as fixed). NaN when :math:`\bar x = 0` or
      :math:`n < 2`;
    * ``adequate``: ``rel_half_width <= target`` (equivalently
      ``replications >= replications_needed``); False when undefined.

    Parameters
    ----------
    runs : pandas.DataFrame
        Long runs table as for :func:`summarise_runs`.
    metrics : list of str
        Metrics to assess; each gets a row for every scenario, even when
        absent (then ``replications`` is 0 and the statistics NaN).
    target_rel_half_width : float, default 0.05
        Target relative half-width :math:`\gamma` (> 0).
    confidence : float, default 0.95
        Two-sided confidence level.

    Returns
    -------
    pandas.DataFrame
        Columns ``scenario, metric, mean, half_width, rel_half_width,
        replications, replications_needed, adequate``; scenarios in order of
        first appearance, metrics in the order given. ``replications_needed``
        is float so it can hold NaN.

    Raises
    ------
    ValueError
        If the target is not positive, columns are missing, keys are
        duplicated or ``confidence`` is not in (0, 1).
    """
    c = _check_confidence(confidence)
    target = float(target_rel_half_width)
    if not (math.isfinite(target) and target > 0):
        raise ValueError(f"target_rel_half_width must be positive, got {target_rel_half_width!r}")
    if isinstance(metrics, str):
        metrics = [metrics]
    metrics = list(metrics)
    _check_runs(runs)

    year = runs["year"].astype(object)
    is_all = np.array([isinstance(y, str) and y == ALL_YEARS for y in year], dtype=bool)
    frame = runs.loc[is_all, ["scenario", "metric"]].copy()
    frame["value"] = _values(runs)[is_all]
    frame = frame.loc[frame["metric"].isin(metrics).to_numpy(dtype=bool)]

    scenarios = list(pd.unique(runs["scenario"].astype(object)))
    grid = pd.DataFrame(
        [(s, m) for s in scenarios for m in metrics], columns=["scenario", "metric"], dtype=object
    )
    if len(frame):
        g = _group_stats(frame, ["scenario", "metric"], "value")
        g["scenario"] = g["scenario"].astype(object)
        g["metric"] = g["metric"].astype(object)
        g = grid.merge(g, on=["scenario", "metric"], how="left", sort=False)
    else:
        g = grid.assign(mean=np.nan, sd=np.nan, n=0, constant=False)
    n = g["n"].fillna(0).to_numpy(dtype=np.int64)
    mean = g["mean"].to_numpy(dtype=float)
    sd = g["sd"].to_numpy(dtype=float)
    constant = g["constant"].fillna(False).to_numpy(dtype=bool)
    _, _, half = _t_interval(mean, sd, n, constant, c)
    sd_eff = np.where(constant, 0.0, sd)
    with np.errstate(invalid="ignore", divide="ignore"):
        rel = np.where((n >= 2) & (mean != 0), half / np.abs(mean), np.nan)
    needed = np.array(
        [
            _replications_needed(float(s), float(m), target, c) if k >= 2 else math.nan
            for s, m, k in zip(sd_eff, mean, n)
        ],
        dtype=float,
    )
    adequate = np.where(np.isnan(rel), False, rel <= target)
    return pd.DataFrame(
        {
            "scenario": g["scenario"].to_numpy(dtype=object),
            "metric": g["metric"].to_numpy(dtype=object),
            "mean": mean,
            "half_width": half,
            "rel_half_width": rel,
            "replications": n,
            "replications_needed": needed,
            "adequate": adequate.astype(bool),
        }
    )


def mser5(series, batch: int = 5) -> dict:
    r"""MSER-5 warm-up (initialisation bias) truncation point (White 1997).

    The series :math:`y_1..y_N` is cut into :math:`k = \lfloor N / b \rfloor`
    non-overlapping batches of size :math:`b` (default 5; a trailing partial
    batch is ignored) with means :math:`Z_1..Z_k`. For a truncation of
    :math:`d` batches,

    .. math:: \mathrm{MSER}(d) = \frac{1}{(k-d)^2} \sum_{j=d+1}^{k} (Z_j - \bar Z_{d})^2,
              \qquad \bar Z_{d} = \frac{1}{k-d}\sum_{j=d+1}^{k} Z_j,

    and :math:`d^* = \arg\min \mathrm{MSER}(d)` over
    :math:`0 \le d \le \min(\lfloor k/2 \rfloor, k-2)` (the first half of the
    batches, always leaving two batches); ties go to the smallest
    :math:`d`. A minimum at the upper end of that range means the series
    has not settled within half the run. Sums of squares are accumulated
    with Welford's backward recursion for numerical stability.

    Parameters
    ----------
    series : array_like
        Output time series in time order (e.g. a daily value, ideally the
        mean across replications). Must be finite.
    batch : int, default 5
        Batch size :math:`b`.

    Returns
    -------
    dict
        ``truncation_index`` (int, :math:`d^* b`, the number of original
        observations to discard), ``truncation_fraction`` (float,
        ``truncation_index / N``) and ``batches`` (int, :math:`k`).

    Raises
    ------
    ValueError
        If the series is not one-dimensional, has non-finite values or fewer
        than two full batches, or ``batch`` is not a positive integer.

    References
    ----------
    White, K. P. (1997). An effective truncation heuristic for bias
    reduction in simulation output. *Simulation*, 69(6), 323-334.
    """
    if isinstance(batch, (bool, np.bool_)) or not isinstance(batch, (int, np.integer)) or batch < 1:
        raise ValueError(f"batch must be a positive integer, got {batch!r}")
    batch = int(batch)
    y = np.asarray(series, dtype=float)
    if y.ndim != 1:
        raise ValueError(f"series must be one-dimensional, got shape {y.shape}")
    if not np.all(np.isfinite(y)):
        raise ValueError("series contains NaN or infinite values")
    n_obs = y.size
    k = n_obs // batch
    if k < 2:
        raise ValueError(f"MSER needs at least two full batches ({2 * batch} observations), got {n_obs}")
    z = y[: k * batch].reshape(k, batch).mean(axis=1)

    d_max = min(k // 2, k - 2)
    # Backward Welford: after adding z[j], (mean, m2) summarise z[j:].
    mser = np.empty(d_max + 1)
    mean = 0.0
    m2 = 0.0
    for j in range(k - 1, -1, -1):
        count = k - j
        delta = z[j] - mean
        mean += delta / count
        m2 += delta * (z[j] - mean)
        if j <= d_max:
            mser[j] = max(m2, 0.0) / count**2
    d_star = int(np.argmin(mser))  # first minimum -> smallest d on ties
    idx = d_star * batch
    return {"truncation_index": idx, "truncation_fraction": idx / n_obs, "batches": k}


def warmup_check(daily_series: np.ndarray, warmup_days: float, batch: int = 5) -> dict:
    """Compare the configured warm-up with the MSER-5 suggestion for a daily series.

    Parameters
    ----------
    daily_series : numpy.ndarray
        One value per simulated day covering the whole run, warm-up
        included (day 0 first). Averaging the series across replications
        before calling this makes the suggestion far more reliable.
    warmup_days : float
        Warm-up length configured for the model, in days.
    batch : int, default 5
        MSER batch size.

    Returns
    -------
    dict
        ``suggested_warmup_days`` (int, MSER-5 truncation point in days),
        ``configured_warmup_days`` (``warmup_days`` as given), ``adequate``
        (``suggested <= configured``) and ``message`` (plain-English
        verdict for an analyst).

    Raises
    ------
    ValueError
        If ``warmup_days`` is negative or not finite, or :func:`mser5`
        rejects the series.
    """
    w = float(warmup_days)
    if not math.isfinite(w) or w < 0:
        raise ValueError(f"warmup_days must be a non-negative number, got {warmup_days!r}")
    res = mser5(daily_series, batch=batch)
    suggested = int(res["truncation_index"])
    adequate = bool(suggested <= w)
    n_days = int(np.asarray(daily_series).size)
    k = res["batches"]
    at_limit = k >= 4 and suggested // int(batch) == min(k // 2, k - 2)

    def days(x: float) -> str:
        return f"{x:g} day" + ("" if x == 1 else "s")

    if adequate:
        msg = (
            f"The configured warm-up of {days(w)} is long enough: MSER-5 suggests discarding "
            f"the first {days(suggested)} of this {n_days}-day run."
        )
    else:
        msg = (
            f"The configured warm-up of {days(w)} looks too short: MSER-5 suggests discarding "
            f"the first {days(suggested)} of this {n_days}-day run, so results may still carry "
            f"start-up bias; consider a warm-up of at least {days(suggested)}."
        )
    if at_limit:
        msg += (
            " The suggestion sits at the limit of the search (half the run), so the series may "
            "not have settled at all; lengthen the run and check again."
        )
    return {
        "suggested_warmup_days": suggested,
        "configured_warmup_days": warmup_days,
        "adequate": adequate,
        "message": msg,
    }


# ---------------------------------------------------------------------------
# Money: discounting, break-even and ratios of paired means
# ---------------------------------------------------------------------------
def discount_factors(years: int, rate: float) -> np.ndarray:
    r"""Discount factors of years :math:`1..N`: :math:`(1 + r)^{-(k-1)}`, so year 1 is not discounted.

    Parameters
    ----------
    years : int
        Number of years :math:`N`.
    rate : float
        Discount rate a year as a fraction (0.035 for the Green Book's 3.5%); must be > -1.

    Returns
    -------
    numpy.ndarray
        The :math:`N` factors.

    Examples
    --------
    >>> [round(float(f), 6) for f in discount_factors(3, 0.035)]
    [1.0, 0.966184, 0.933511]
    """
    if not rate > -1.0:
        raise ValueError(f"rate must be above -1, got {rate!r}")
    return (1.0 + float(rate)) ** -np.arange(int(years), dtype=float)


def break_even_year(cumulative, tolerance: float = 1e-6):
    """First year from which a cumulative net benefit stays at or above zero; NaN if it ends below zero or is
    zero throughout (nothing to pay back).

    Parameters
    ----------
    cumulative : pandas.Series or array_like
        Cumulative net benefit by year in year order (a Series indexed by year label, or an array for
        years 1..N).
    tolerance : float, default 1e-6
        Values above ``-tolerance`` count as zero (rounding of sums of money).

    Returns
    -------
    int or float
        The year label (1-based position for an array), or NaN when the last value is below zero or every
        value is zero.

    Examples
    --------
    >>> break_even_year([-5.0, -1.0, 2.0, 4.0])
    3
    >>> break_even_year([1.0, -1.0, 3.0])
    3
    """
    if isinstance(cumulative, pd.Series):
        labels = list(cumulative.index)
        values = cumulative.to_numpy(dtype=float)
    else:
        values = np.asarray(cumulative, dtype=float)
        labels = list(range(1, values.size + 1))
    if values.size == 0 or not np.isfinite(values).all() or np.all(np.abs(values) <= abs(tolerance)):
        return math.nan
    below = np.flatnonzero(values < -abs(tolerance))
    if below.size == 0:
        return labels[0]
    last = int(below[-1])
    return labels[last + 1] if last + 1 < values.size else math.nan


def ratio_ci(numerator, denominator, confidence: float = 0.95) -> tuple[float, float, float]:
    r"""Ratio of two paired means with Fieller's confidence interval.

    With replication pairs :math:`(x_i, y_i)`, :math:`i = 1..n`, means :math:`\bar x, \bar y`, sample
    variances :math:`s_{xx}, s_{yy}` and covariance :math:`s_{xy}`, the ratio is :math:`R = \bar x / \bar y`
    and the interval is the set of :math:`\rho` with

    .. math:: (\bar x - \rho \bar y)^2 \le \frac{t^2}{n} (s_{xx} - 2 \rho s_{xy} + \rho^2 s_{yy}),

    :math:`t = t_{(1+c)/2,\,n-1}`: the roots of a quadratic. The interval is bounded only when
    :math:`\bar y` is clearly non-zero (:math:`\bar y^2 > t^2 s_{yy}/n`); otherwise the bounds are NaN.
    A denominator that is the same in every replication gives the t interval of :math:`\bar x` divided by
    :math:`\bar y`.

    Parameters
    ----------
    numerator, denominator : array_like
        One value per replication each; pairs with a NaN are dropped.
    confidence : float, default 0.95
        Two-sided confidence level.

    Returns
    -------
    ratio, ci_low, ci_high : float
        NaN ratio when :math:`\bar y = 0`; NaN bounds with fewer than two pairs or an unbounded interval.

    Examples
    --------
    >>> r, lo, hi = ratio_ci([10.0, 12.0, 14.0], [2.0, 2.0, 2.0])
    >>> round(r, 3), round(lo, 3), round(hi, 3)
    (6.0, 3.516, 8.484)
    """
    c = _check_confidence(confidence)
    x = np.asarray(numerator, dtype=float).ravel()
    y = np.asarray(denominator, dtype=float).ravel()
    if x.shape != y.shape:
        raise ValueError("numerator and denominator need one value per replication each")
    ok = np.isfinite(x) & np.isfinite(y)
    x, y = x[ok], y[ok]
    n = x.size
    if n == 0 or y.mean() == 0:
        return (math.nan, math.nan, math.nan)
    mx, my = float(x.mean()), float(y.mean())
    ratio = mx / my
    if n < 2:
        return (ratio, math.nan, math.nan)
    cov = np.cov(np.vstack([x, y]), ddof=1)
    sxx, syy, sxy = float(cov[0, 0]), float(cov[1, 1]), float(cov[0, 1])
    q = float(_t_quantile(c, n - 1)) ** 2 / n
    a = my * my - q * syy
    b = -2.0 * (mx * my - q * sxy)
    cc = mx * mx - q * sxx
    disc = b * b - 4.0 * a * cc
    if a <= 0 or disc < 0:
        return (ratio, math.nan, math.nan)
    root = math.sqrt(max(disc, 0.0))
    lo, hi = (-b - root) / (2.0 * a), (-b + root) / (2.0 * a)
    return (ratio, min(lo, ratio), max(hi, ratio))

"""Figures of a batch: scenarios over time with replication bands, and paired differences from baseline.

One small style: Okabe-Ito colours (colour-blind safe) for several scenarios,
NHS blue for a single series, direct labels at line ends, units on axes.
Files are deterministic (no timestamps in metadata).
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from .metrics import METRICS  # noqa: E402

NHS_BLUE = "#005EB8"
OKABE_ITO = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000"]
FAN_METRICS = ["emergency_admissions", "ae_attendances", "bed_occupancy_mean", "delayed_discharge_bed_days",
               "deaths_in_hospital_share", "days_at_home_per_person_65plus"]
DIFF_METRICS = ["emergency_admissions", "ae_attendances", "bed_days", "delayed_discharge_bed_days",
                "ambulance_conveyances", "care_home_admissions_permanent", "deaths"]


def _style(ax) -> None:
    ax.spines[["top", "right"]].set_visible(False)
    ax.grid(axis="y", color="#dddddd", linewidth=0.8)
    ax.set_axisbelow(True)


def colours(n: int) -> list[str]:
    """NHS blue for one series, Okabe-Ito for several."""
    return [NHS_BLUE] if n == 1 else [OKABE_ITO[i % len(OKABE_ITO)] for i in range(n)]


def _label(metric: str) -> str:
    m = METRICS.get(metric)
    unit = f" ({m.unit})" if m and m.unit and m.unit != "share" else (" (%)" if m and m.unit == "share" else "")
    return metric.replace("_", " ").capitalize() + unit


def _save(fig, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110, metadata={"Software": None})
    plt.close(fig)
    return path


def fan_chart(summary: pd.DataFrame, metric: str, scenarios: list[str], path: Path) -> Path:
    """Mean per year with the 95% confidence band across replications, one line per scenario."""
    fig, ax = plt.subplots(figsize=(7.5, 4.2))
    share = METRICS.get(metric) is not None and METRICS[metric].unit == "share"
    scale = 100.0 if share else 1.0
    cols = colours(len(scenarios))
    for name, colour in zip(scenarios, cols):
        rows = summary[(summary["scenario"] == name) & (summary["metric"] == metric) & (summary["year"] != "all")]
        if rows.empty:
            continue
        years = rows["year"].astype(int).to_numpy()
        mean = rows["mean"].to_numpy(float) * scale
        lo = rows["ci_low"].to_numpy(float) * scale
        hi = rows["ci_high"].to_numpy(float) * scale
        ax.plot(years, mean, color=colour, linewidth=2)
        if np.isfinite(lo).any():
            ax.fill_between(years, lo, hi, color=colour, alpha=0.18, linewidth=0)
        ax.annotate(name, (years[-1], mean[-1]), xytext=(6, 0), textcoords="offset points", color=colour,
                    va="center", fontsize=9)
    ax.set_xlabel("Year after warm-up")
    ax.set_ylabel(_label(metric))
    ax.set_title(_label(metric).split(" (")[0] + " by year (mean, 95% CI band)", fontsize=11, loc="left")
    ax.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True))
    ax.margins(x=0.15)
    _style(ax)
    fig.tight_layout()
    return _save(fig, path)


def difference_chart(comparison: pd.DataFrame, metrics: list[str], baseline: str, path: Path) -> Path | None:
    """Paired difference from baseline over the whole horizon, % change with 95% CI, per scenario."""
    rows = comparison[(comparison["year"].astype(str) == "all") & (comparison["metric"].isin(metrics))]
    if rows.empty:
        return None
    scenarios = list(dict.fromkeys(rows["scenario"]))
    fig, ax = plt.subplots(figsize=(7.5, 0.5 + 0.45 * len(metrics) * max(1, len(scenarios)) ** 0.6 + 1.2))
    cols = colours(len(scenarios))
    height = 0.8 / len(scenarios)
    for j, (name, colour) in enumerate(zip(scenarios, cols)):
        sub = rows[rows["scenario"] == name].set_index("metric").reindex(metrics)
        base = sub["baseline_mean"].to_numpy(float)
        with np.errstate(invalid="ignore", divide="ignore"):
            pct = sub["diff_mean"].to_numpy(float) / base * 100
            lo = sub["diff_ci_low"].to_numpy(float) / base * 100
            hi = sub["diff_ci_high"].to_numpy(float) / base * 100
        y = np.arange(len(metrics)) + j * height - 0.4 + height / 2
        err = np.vstack([pct - lo, hi - pct])
        ax.barh(y, pct, height=height * 0.9, color=colour, label=name,
                xerr=np.where(np.isfinite(err), err, 0), error_kw={"elinewidth": 1, "capsize": 2})
    ax.axvline(0, color="#444444", linewidth=1)
    ax.set_yticks(np.arange(len(metrics)))
    ax.set_yticklabels([m.replace("_", " ") for m in metrics])
    ax.invert_yaxis()
    ax.set_xlabel(f"Change from {baseline} over the horizon (%), paired, 95% CI")
    ax.set_title("What changes against the baseline", fontsize=11, loc="left")
    ax.legend(frameon=False, fontsize=9, loc="best")
    ax.spines[["top", "right"]].set_visible(False)
    ax.grid(axis="x", color="#dddddd", linewidth=0.8)
    ax.set_axisbelow(True)
    fig.tight_layout()
    return _save(fig, path)


def draw_all(batch: Path, summary: pd.DataFrame, comparison: pd.DataFrame, scenarios: list[str],
             baseline: str) -> list[Path]:
    """Every figure of a batch into ``<batch>/plots``; returns the files written."""
    out = []
    for metric in FAN_METRICS:
        if (summary["metric"] == metric).any():
            out.append(fan_chart(summary, metric, scenarios, batch / "plots" / f"{metric}.png"))
    diff = difference_chart(comparison, DIFF_METRICS, baseline, batch / "plots" / "difference_from_baseline.png")
    if diff is not None:
        out.append(diff)
    return out

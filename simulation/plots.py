"""Figures of a batch: scenarios over time with replication bands, paired differences from the baseline,
bed occupancy and people's outcomes.

One small style (:data:`STYLE`): Okabe-Ito colours (colour-blind safe) when several scenarios share a
figure, NHS blue for a single series, direct labels at line ends nudged apart so they never overlap,
units on every axis. Each figure is written as PNG and SVG, byte-identical on a rerun (no dates or
software names in the metadata, a fixed SVG hash salt).

The figures are described once by :func:`figure_specs` (name, report section, caption and a builder);
:func:`draw_all` writes them into ``<batch>/plots`` and ``simulation.report`` embeds the same figures
in the HTML and PDF report. Everything is read from the batch folder: the summaries, the run tables
(``<scenario>/rep=*/metrics.parquet``), the daily census (``daily.parquet``) and ``manifest.json``.
"""

from __future__ import annotations

import hashlib
import io
import json
import math
import multiprocessing
import os
import textwrap
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import matplotlib

matplotlib.use("Agg")
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402
from matplotlib.ticker import FuncFormatter, MaxNLocator  # noqa: E402

from . import output  # noqa: E402
from .analysis import warmup_check  # noqa: E402
from .metrics import BATCH_METRICS, METRICS  # noqa: E402
from .money import ORG_LABELS, ORGANISATIONS  # noqa: E402

NHS_BLUE = "#005EB8"
OKABE_ITO = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000"]
GREY = "#5F6B73"
LIGHT_GREY = "#D8DDE0"
ZERO_LINE = "#425563"
THRESHOLD_COLOUR = "#8A1538"
DPI = 110
OCCUPANCY_THRESHOLD = 0.92

#: Metrics drawn over time with replication bands, one figure each.
TREND_METRICS = ["emergency_admissions", "ae_attendances", "bed_occupancy_mean", "delayed_discharge_bed_days",
                 "cost_total"]
#: Metrics of the per-year paired-difference small multiples (the headline of the report).
KEY_METRICS = ["emergency_admissions", "ae_attendances", "bed_occupancy_mean", "delayed_discharge_bed_days",
               "deaths_in_hospital_share", "days_at_home_per_person_65plus"]
#: Metrics of the whole-horizon % change chart (``difference_from_baseline``).
DIFF_METRICS = ["emergency_admissions", "ae_attendances", "bed_days", "delayed_discharge_bed_days",
                "ambulance_conveyances", "care_home_admissions_permanent", "deaths"]
#: Place of death: metric, label, colour (a blue scale: the colours mean places here, not scenarios).
DEATH_PLACES = [("deaths_in_hospital_share", "In hospital", "#003087"),
                ("deaths_in_care_home_share", "In a care home", "#005EB8"),
                ("deaths_at_home_share", "At home", "#41B6E6"),
                ("deaths_hospice_other_share", "Hospice or elsewhere", "#AEB7BD")]

#: Plain names for the metrics a board sees most; others are spelt out from the metric name.
NAMES = {
    "emergency_admissions": "Emergency admissions",
    "ae_attendances": "A&E attendances",
    "bed_occupancy_mean": "Acute bed occupancy",
    "delayed_discharge_bed_days": "Delayed discharge bed days",
    "deaths_in_hospital_share": "Deaths in hospital",
    "deaths_at_home_share": "Deaths at home",
    "deaths_in_care_home_share": "Deaths in a care home",
    "deaths_hospice_other_share": "Deaths in a hospice or elsewhere",
    "days_at_home_per_person_65plus": "Days at home per person aged 65+",
    "care_home_admissions_permanent": "Permanent care-home admissions",
    "days_occupancy_above_92pct": "Days with bed occupancy above 92%",
    "bed_days": "Acute bed days",
    "ambulance_conveyances": "Ambulance conveyances",
    "deaths": "Deaths",
    "ae_4h_performance": "A&E 4-hour performance",
    "reablement_episodes": "Reablement episodes",
    "at_home_91d_after_reablement_share": "At home 91 days after reablement",
    "readmission_rate_30d": "30-day readmission rate",
    "mean_los_overnight_days": "Mean length of stay (overnight stays)",
    "gp_urgent_contacts": "Urgent same-day GP contacts",
    "ucr_visits": "Urgent community response visits",
    "readmissions_30d": "Readmissions within 30 days",
    "ae_12h_waits": "A&E stays over 12 hours",
    "calls_111": "NHS 111 calls",
    "cost_total": "Cost total (economic, all organisations)",
    "cost_cash_total": "Cash cost, all organisations",
    "investment_total": "Investment, all organisations",
    "net_cost_total": "Net cost (cash cost + investment), all organisations",
}
#: The money measures of the headline tables (the details by organisation are in money.csv and the money figures).
MONEY_HEADLINE = ["cost_total", "cost_cash_total", "investment_total", "net_cost_total"]
#: Colours of organisations (the colours mean organisations here, not scenarios).
ORG_COLOURS = {"icb": "#0072B2", "acute_trust": "#D55E00", "community_provider": "#009E73",
               "primary_care": "#56B4E9", "ambulance_trust": "#E69F00", "local_authority": "#CC79A7",
               "self_funders": "#8C8C8C"}
#: Shorter names for small panels.
SHORT = {"days_at_home_per_person_65plus": "Days at home (aged 65+)",
         "delayed_discharge_bed_days": "Delayed discharge bed days",
         "care_home_admissions_permanent": "Care-home admissions"}
ACRONYMS = {"ae": "A&E", "nhs": "NHS", "gp": "GP", "ucr": "UCR", "los": "LOS", "ascof": "ASCOF"}

#: The one style of every figure (applied while drawing and while saving).
STYLE = {
    "font.family": "DejaVu Sans",
    "font.size": 9,
    "axes.titlesize": 10,
    "axes.titlelocation": "left",
    "axes.titleweight": "bold",
    "axes.labelsize": 9,
    "axes.labelcolor": "#212B32",
    "axes.edgecolor": "#768692",
    "axes.linewidth": 0.8,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "axes.grid.axis": "y",
    "axes.axisbelow": True,
    "grid.color": "#E8EDEE",
    "grid.linewidth": 0.8,
    "xtick.color": "#425563",
    "ytick.color": "#425563",
    "xtick.labelsize": 8.5,
    "ytick.labelsize": 8.5,
    "legend.frameon": False,
    "legend.fontsize": 8.5,
    "figure.facecolor": "white",
    "savefig.facecolor": "white",
    "figure.dpi": DPI,
    "savefig.dpi": DPI,
    "svg.fonttype": "path",
    "svg.hashsalt": "careshift",
    "path.simplify": True,
}
PNG_METADATA = {"Software": None}
SVG_METADATA = {"Date": None, "Creator": None}


# --- small helpers ------------------------------------------------------------------------------


def colours(n: int) -> list[str]:
    """NHS blue for one series, Okabe-Ito for several."""
    return [NHS_BLUE] if n == 1 else [OKABE_ITO[i % len(OKABE_ITO)] for i in range(n)]


def text_colour(colour: str) -> str:
    """A colour readable as text on white (Okabe-Ito yellow is darkened)."""
    return "#7A6F00" if colour.upper() == "#F0E442" else colour


def safe(text: str) -> str:
    """User text made safe for matplotlib (a ``$`` would start mathtext)."""
    return str(text).replace("$", r"\$")


def short(text: str, width: int = 24) -> str:
    """Text cut to `width` characters with an ellipsis."""
    text = str(text)
    return text if len(text) <= width else text[: width - 1].rstrip() + "…"


def wrap(text: str, width: int = 22, lines: int = 3) -> str:
    parts = textwrap.wrap(str(text), width) or [""]
    if len(parts) > lines:
        parts = parts[:lines]
        parts[-1] = short(parts[-1] + " …", width)
    return "\n".join(parts)


def display_name(metric: str) -> str:
    """A plain name for a metric ("A&E attendances")."""
    if metric in NAMES:
        return NAMES[metric]
    words = metric.replace("_", " ")
    words = " ".join(ACRONYMS.get(w, w) for w in words.split())
    return words[:1].upper() + words[1:]


def _info(metric: str):
    """The registry entry of a metric (per-run or computed for a batch), or None."""
    return METRICS.get(metric) or BATCH_METRICS.get(metric)


def is_money(metric: str) -> bool:
    m = _info(metric)
    return metric.startswith("cost_") or (m is not None and "£" in m.unit)


def is_share(metric: str) -> bool:
    m = _info(metric)
    return m is not None and (m.kind == "share" or m.unit == "share")


def kind_of(metric: str) -> str:
    m = _info(metric)
    if m is not None:
        return m.kind
    return "count" if metric.startswith("cost_") else "level"


def unit_of(metric: str) -> str:
    m = _info(metric)
    if m is not None and m.unit:
        return m.unit
    return "£" if is_money(metric) else ""


def money_text(v: float, signed: bool = False) -> str:
    """Pounds for a reader: £1.23m, £456k, £789 (a minus sign, not a hyphen)."""
    if v is None or not math.isfinite(v):
        return "–"
    a = abs(v)
    text = f"£{a / 1e6:,.2f}m" if a >= 1e6 else (f"£{a / 1e3:,.0f}k" if a >= 1e4 else f"£{a:,.0f}")
    if v < 0:
        return "\u2212" + text
    return ("+" + text) if signed and v > 0 else text


def _money_axis(ax, axis: str = "y") -> None:
    """Pounds on an axis, scaled to thousands or millions by the axis range."""
    lo, hi = (ax.get_ylim() if axis == "y" else ax.get_xlim())
    big = max(abs(lo), abs(hi))
    scale, suffix = (1e6, "m") if big >= 1e6 else ((1e3, "k") if big >= 2e3 else (1.0, ""))

    def fmt(v, _):
        if v == 0:
            return "£0"
        text = f"£{abs(v) / scale:,.{1 if scale > 1 and big / scale < 10 else 0}f}{suffix}"
        return ("\u2212" if v < 0 else "") + text
    (ax.yaxis if axis == "y" else ax.xaxis).set_major_formatter(FuncFormatter(fmt))


def scale_of(metric: str) -> float:
    """Shares are shown in per cent."""
    return 100.0 if is_share(metric) else 1.0


def axis_unit(metric: str, *, per_year: bool = True, difference: bool = False) -> str:
    """The unit of a metric as an axis shows it: '%', 'percentage points', 'admissions a year', '£ a year'."""
    if is_share(metric):
        return "percentage points" if difference else "%"
    unit = unit_of(metric)
    if kind_of(metric) == "count" and per_year:
        return f"{unit} a year" if unit else "a year"
    return unit


def spread_labels(positions, gap: float, lower: float | None = None, upper: float | None = None) -> np.ndarray:
    """Label positions moved the least (in squares) so that neighbours are at least `gap` apart.

    Order is kept. Overlapping labels are merged into clusters centred on the mean of their
    wanted positions, repeatedly, then the whole set is shifted inside ``[lower, upper]``.
    """
    pos = np.asarray(positions, dtype=float)
    if pos.size == 0:
        return pos.copy()
    order = np.argsort(pos, kind="stable")
    clusters: list[list[float]] = []  # [sum of wanted positions, count]
    for p in pos[order]:
        clusters.append([p, 1])
        while len(clusters) > 1:
            s1, n1 = clusters[-2]
            s2, n2 = clusters[-1]
            top1 = s1 / n1 + (n1 - 1) * gap / 2
            bottom2 = s2 / n2 - (n2 - 1) * gap / 2
            if bottom2 - top1 >= gap - 1e-12:
                break
            clusters[-2:] = [[s1 + s2, n1 + n2]]
    placed = np.concatenate([s / n + (np.arange(n) - (n - 1) / 2) * gap for s, n in clusters])
    if upper is not None and placed[-1] > upper:
        placed -= placed[-1] - upper
    if lower is not None and placed[0] < lower:
        placed += lower - placed[0]
    out = np.empty_like(placed)
    out[order] = placed
    return out


def direct_labels(ax, items: list[tuple[float, float, str, str]], fontsize: float = 8.0, dx: float = 6.0) -> list:
    """Labels right of line ends, nudged vertically so they do not collide.

    `items` are ``(x, y, text, colour)`` in data coordinates. Call after the layout is final: the
    offsets are computed in points from the current axes size.
    """
    items = [it for it in items if np.isfinite(it[0]) and np.isfinite(it[1])]
    if not items:
        return []
    ax.set_xlim(ax.get_xlim())
    ax.set_ylim(ax.get_ylim())
    fig = ax.figure
    to_pt = 72.0 / fig.dpi
    anchors = np.array([ax.transData.transform((x, y))[1] * to_pt for x, y, _, _ in items])
    box = ax.get_window_extent()
    gap = fontsize * 1.25
    lines = [t.count("\n") + 1 for _, _, t, _ in items]
    gap = gap * max(lines)
    placed = spread_labels(anchors, gap, box.y0 * to_pt + gap / 2, box.y1 * to_pt - gap / 2 + fontsize)
    out = []
    for (x, y, text, colour), a, p in zip(items, anchors, placed):
        out.append(ax.annotate(safe(text), xy=(x, y), xytext=(dx, p - a), textcoords="offset points",
                               va="center", ha="left", fontsize=fontsize, color=text_colour(colour),
                               annotation_clip=False))
    return out


def _year_axis(ax) -> None:
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("Year after the warm-up")


def _thousands(ax, axis: str = "y") -> None:
    fmt = FuncFormatter(lambda v, _: (f"{v:,.0f}" if abs(v) >= 1000 or v == int(v) else f"{v:,.2g}")
                        .replace("-", "\u2212"))
    (ax.yaxis if axis == "y" else ax.xaxis).set_major_formatter(fmt)


def _new_figure(width: float, height: float) -> Figure:
    return Figure(figsize=(width, height), dpi=DPI)


# --- reading a batch ----------------------------------------------------------------------------


def normalise(table: pd.DataFrame) -> pd.DataFrame:
    """``year`` as text ('1', '2', 'all') whatever way the table was read."""
    out = table.copy()
    if "year" in out.columns:
        out["year"] = [str(y) for y in out["year"]]
    return out


def read_table(path: Path) -> pd.DataFrame:
    """A summary CSV read back with names as text (a scenario may be called 'NA')."""
    return normalise(pd.read_csv(path, dtype={"scenario": str, "metric": str, "year": str},
                                 keep_default_na=False, na_values=[""]))


CENSUS_COLUMNS = ("beds_occupied", "delayed", "ae_occupied", "reablement", "home_care", "care_homes")


def census_days(daily: pd.DataFrame) -> pd.DataFrame:
    """The daily census without a final day that was never counted.

    The census has a row for the midnight at which the run stops; that row is never filled in
    and reads 0 everywhere (no place ever has empty beds, care homes and home care at once), so
    it is dropped when every census column of that day is 0 in every replication.
    """
    if daily.empty or "day" not in daily.columns:
        return daily
    cols = [c for c in CENSUS_COLUMNS if c in daily.columns]
    last = daily["day"].max()
    tail = daily[daily["day"] == last]
    if cols and len(tail) and (tail[cols].to_numpy(float) == 0).all() and (daily["day"] < last).any():
        return daily[daily["day"] < last].reset_index(drop=True)
    return daily


@dataclass
class BatchView:
    """What the figures and the report read from a batch folder (runs and daily census read on demand)."""

    batch: Path
    summary: pd.DataFrame
    comparison: pd.DataFrame
    scenarios: list[str]
    baseline: str
    manifest: dict = field(default_factory=dict)
    _runs: pd.DataFrame | None = field(default=None, repr=False)
    _daily: dict = field(default_factory=dict, repr=False)
    _money: pd.DataFrame | None = field(default=None, repr=False)

    @classmethod
    def from_batch(cls, batch: Path) -> "BatchView":
        batch = Path(batch)
        manifest = output.read_manifest(batch)
        names = [s["name"] for s in manifest["scenarios"]]
        baseline = manifest.get("baseline") or ("baseline" if "baseline" in names else names[0])
        return cls(batch, read_table(batch / "summary.csv"), read_table(batch / "comparison.csv"), names, baseline,
                   manifest)

    def runs(self) -> pd.DataFrame:
        if self._runs is None:
            runs = output.read_runs(self.batch, self.scenarios)
            self._runs = normalise(runs)
        return self._runs

    def daily(self, scenario: str) -> pd.DataFrame:
        """The midnight census of every completed replication (see :func:`census_days`)."""
        if scenario not in self._daily:
            self._daily[scenario] = census_days(output.read_daily(self.batch, scenario))
        return self._daily[scenario]

    @property
    def others(self) -> list[str]:
        present = set(self.comparison["scenario"]) if len(self.comparison) else set()
        return [s for s in self.scenarios if s != self.baseline and s in present]

    def colour(self, scenario: str) -> str:
        cols = colours(len(self.scenarios))
        return cols[self.scenarios.index(scenario)] if scenario in self.scenarios else GREY

    def resolved(self, scenario: str) -> dict | None:
        for s in self.manifest.get("scenarios", []):
            if s["name"] == scenario:
                return s.get("resolved")
        return None

    def beds(self, scenario: str) -> int | None:
        r = self.resolved(scenario)
        try:
            beds = r["services"]["acute"]["beds"]
        except (TypeError, KeyError):
            return None
        return beds if isinstance(beds, int) and beds > 0 else None

    def years(self) -> list[int]:
        ys = {int(y) for y in self.summary["year"] if y != "all"}
        return sorted(ys)

    @property
    def horizon(self) -> int:
        return max(1, len(self.years()))

    def has(self, metric: str) -> bool:
        return bool((self.summary["metric"] == metric).any())

    def money_metrics(self) -> list[str]:
        """The money measures of headline tables: the totals when the batch has them, else every money metric."""
        headline = [m for m in MONEY_HEADLINE if self.has(m)]
        return headline or sorted({m for m in self.summary["metric"] if is_money(m)})

    @property
    def money(self) -> pd.DataFrame:
        """``money.csv`` (incremental money by view, organisation and year); empty when the batch has none."""
        if self._money is None:
            path = self.batch / "money.csv"
            self._money = (pd.read_csv(path, dtype={"scenario": str, "view": str, "organisation": str,
                                                    "measure": str, "year": str},
                                       keep_default_na=False, na_values=[""]) if path.is_file()
                           else pd.DataFrame(columns=["scenario", "view", "organisation", "measure", "year", "mean",
                                                      "ci_low", "ci_high", "replications"]))
        return self._money

    def money_value(self, scenario: str, view: str, org: str, measure: str, year="all") -> pd.Series | None:
        """One row of ``money.csv`` (or None)."""
        m = self.money
        rows = m[(m["scenario"] == scenario) & (m["view"] == view) & (m["organisation"] == org)
                 & (m["measure"] == measure) & (m["year"] == str(year))]
        return None if rows.empty else rows.iloc[0]

    def whole(self, scenario: str, metric: str) -> pd.Series | None:
        rows = self.summary[(self.summary["scenario"] == scenario) & (self.summary["metric"] == metric)
                            & (self.summary["year"] == "all")]
        return None if rows.empty else rows.iloc[0]


# --- the figures --------------------------------------------------------------------------------


def _bands(view: BatchView, scenario: str, metric: str):
    """Per year: mean, 95% CI and min-max across replications (in display units)."""
    s = view.summary
    rows = s[(s["scenario"] == scenario) & (s["metric"] == metric) & (s["year"] != "all")]
    if rows.empty:
        return None
    rows = rows.assign(_y=rows["year"].astype(int)).sort_values("_y")
    years = rows["_y"].to_numpy(int)
    k = scale_of(metric)
    mean = rows["mean"].to_numpy(float) * k
    lo = rows["ci_low"].to_numpy(float) * k
    hi = rows["ci_high"].to_numpy(float) * k
    runs = view.runs()
    r = runs[(runs["scenario"] == scenario) & (runs["metric"] == metric) & (runs["year"] != "all")]
    values = r.assign(_y=r["year"].astype(int)).groupby("_y")["value"]
    mn = values.min().reindex(years).to_numpy(float) * k
    mx = values.max().reindex(years).to_numpy(float) * k
    nonneg = kind_of(metric) in ("count", "share", "rate", "level") or not (np.nanmin(r["value"]) < 0)
    if nonneg:  # a count or share cannot be negative: neither can its band
        lo, mn = np.maximum(lo, 0.0), np.maximum(mn, 0.0)
    if is_share(metric):
        hi, mx = np.minimum(hi, 100.0), np.minimum(mx, 100.0)
    return years, mean, lo, hi, mn, mx


def _fill(ax, years, lo, hi, **kw):
    """A band; a single year becomes a short block so it still shows."""
    ok = np.isfinite(lo) & np.isfinite(hi)
    if not ok.any():
        return None
    if len(years) == 1:
        return ax.fill_between([years[0] - 0.22, years[0] + 0.22], [lo[0]] * 2, [hi[0]] * 2, **kw)
    return ax.fill_between(years, np.where(ok, lo, np.nan), np.where(ok, hi, np.nan), **kw)


def fan_chart(view: BatchView, metric: str) -> Figure | None:
    """One panel per scenario: mean by year, 95% CI band and the range of replications (lighter)."""
    names = [n for n in view.scenarios if _bands(view, n, metric) is not None]
    if not names:
        return None
    n = len(names)
    ncols = min(n, 3)
    nrows = math.ceil(n / ncols)
    fig = _new_figure(3.2 * ncols + 1.0, 2.45 * nrows + 1.25)
    axs = fig.subplots(nrows, ncols, sharex=True, sharey=True, squeeze=False)
    base = _bands(view, view.baseline, metric) if view.baseline in names else None
    reps = int(view.summary[view.summary["metric"] == metric]["replications"].max())
    for i, name in enumerate(names):
        ax = axs.flat[i]
        years, mean, lo, hi, mn, mx = _bands(view, name, metric)
        c = view.colour(name)
        _fill(ax, years, mn, mx, color=c, alpha=0.13, linewidth=0)
        _fill(ax, years, lo, hi, color=c, alpha=0.33, linewidth=0)
        if base is not None and name != view.baseline:
            ax.plot(base[0], base[1], color=GREY, linestyle=(0, (4, 2)), linewidth=1.1, zorder=3)
        ax.plot(years, mean, color=c, linewidth=2, marker="o", markersize=3.5, zorder=4)
        ax.set_title(safe(wrap(name, 34, 2)), color=text_colour(c), fontsize=9.5)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.margins(x=0.08)
        _money_axis(ax) if is_money(metric) else _thousands(ax)
    for ax in axs.flat[n:]:
        ax.set_visible(False)
    for ax in axs[-1, :]:
        ax.set_xlabel("Year after the warm-up")
    unit = axis_unit(metric)
    ylabel = "% of beds occupied" if metric == "bed_occupancy_mean" else (unit[:1].upper() + unit[1:])
    for ax in axs[:, 0]:
        ax.set_ylabel(ylabel)
    lo_all = min(np.nanmin(_bands(view, nm, metric)[4]) for nm in names)
    if np.isfinite(lo_all) and lo_all >= 0:
        ymin, ymax = axs[0, 0].get_ylim()
        axs[0, 0].set_ylim(max(ymin, 0.0), ymax)
    handles = [Line2D([], [], color=GREY if n > 1 else NHS_BLUE, linewidth=2, marker="o", markersize=3.5,
                      label="mean"),
               Patch(color=GREY if n > 1 else NHS_BLUE, alpha=0.45, linewidth=0, label="95% confidence interval"),
               Patch(color=GREY if n > 1 else NHS_BLUE, alpha=0.18, linewidth=0,
                     label=f"range of the {reps} replications")]
    if base is not None and n > 1:
        handles.append(Line2D([], [], color=GREY, linestyle=(0, (4, 2)), linewidth=1.1, label="baseline mean"))
    fig.suptitle(f"{display_name(metric)} by year, per scenario", x=0.01, ha="left", fontweight="bold",
                 fontsize=11)
    fig.legend(handles=handles, loc="lower left", ncol=len(handles), bbox_to_anchor=(0.01, 0.0), fontsize=8)
    fig.tight_layout(rect=(0, 0.06 if nrows == 1 else 0.04, 1, 0.97))
    return fig


def differences_by_year(view: BatchView, metrics: list[str], scenarios: list[str], title: str) -> Figure | None:
    """Small multiples, one panel per metric: scenario minus baseline by year (paired), with its 95% CI."""
    comp = view.comparison
    comp = comp[(comp["year"] != "all") & comp["scenario"].isin(scenarios) & comp["metric"].isin(metrics)]
    panels = [m for m in metrics if (comp["metric"] == m).any()]
    if not panels:
        return None
    names = [s for s in scenarios if (comp["scenario"] == s).any()]
    single = len(names) == 1
    ncols = 1 if len(panels) == 1 else (3 if single and len(panels) > 4 else 2)
    nrows = math.ceil(len(panels) / ncols)
    label_room = 0.0 if single else 1.5
    panel_w = 3.1 if ncols == 3 else 4.3
    fig = _new_figure(panel_w * ncols + label_room * ncols + 0.6, (2.0 if single else 2.35) * nrows + 1.0)
    axs = fig.subplots(nrows, ncols, squeeze=False, sharex=True)
    width = 0.5
    offsets = (np.arange(len(names)) - (len(names) - 1) / 2) * (width / max(1, len(names)))
    ends: dict[int, list] = {}
    for i, metric in enumerate(panels):
        ax = axs.flat[i]
        k = scale_of(metric)
        ends[i] = []
        for j, name in enumerate(names):
            rows = comp[(comp["scenario"] == name) & (comp["metric"] == metric)]
            rows = rows.assign(_y=rows["year"].astype(int)).sort_values("_y")
            x = rows["_y"].to_numpy(float) + offsets[j]
            y = rows["diff_mean"].to_numpy(float) * k
            lo = rows["diff_ci_low"].to_numpy(float) * k
            hi = rows["diff_ci_high"].to_numpy(float) * k
            c = NHS_BLUE if single else view.colour(name)
            yerr = np.nan_to_num(np.vstack([y - lo, hi - y]), nan=0.0)
            ax.errorbar(x, y, yerr=yerr, color=c, marker="o", markersize=4, linewidth=1.3, elinewidth=1.4,
                        capsize=2.5, zorder=3)
            if len(x):
                ends[i].append((x[-1], y[-1], short(name, 20), c))
        ax.axhline(0, color=ZERO_LINE, linewidth=0.9, zorder=2)
        ax.set_title(SHORT.get(metric, display_name(metric)), fontsize=9.5)
        ax.set_ylabel(f"Difference ({axis_unit(metric, difference=True)})", fontsize=8.5)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.margins(x=0.12)
        lo_y, hi_y = ax.get_ylim()
        ax.set_ylim(min(lo_y, 0), max(hi_y, 0))
        if is_money(metric):
            _money_axis(ax)
        else:
            _thousands(ax)
    for ax in axs.flat[len(panels):]:
        ax.set_visible(False)
    for idx in range(len(panels)):
        ax = axs.flat[idx]
        if idx + ncols >= len(panels):
            ax.set_xlabel("Year after the warm-up")
            ax.xaxis.set_tick_params(labelbottom=True)
    fig.suptitle(safe(title), x=0.01, ha="left", fontweight="bold", fontsize=11)
    fig.text(0.01, 0.005, "Dots: mean of paired differences (same random numbers in both); bars: 95% confidence "
             "interval. A bar that crosses the zero line means the change could be chance.", fontsize=7.5,
             color=GREY, ha="left", va="bottom")
    width = fig.get_figwidth()
    fig.tight_layout(rect=(0, 0.035, 1 - label_room / width, 0.96), w_pad=label_room * 72 / 9 + 1.0)
    if not single:
        for i, items in ends.items():
            direct_labels(axs.flat[i], items, fontsize=7.5, dx=9)
    return fig


def difference_chart(view: BatchView, metrics: list[str]) -> Figure | None:
    """Paired difference from baseline over the whole horizon: % change (dot) with its 95% CI (whisker).

    The axis is sized to the changes, not to the widest interval: a whisker that runs off the axis
    ends in an arrow and its end is written beside it.
    """
    comp = view.comparison
    rows = comp[(comp["year"] == "all") & (comp["metric"].isin(metrics))]
    if rows.empty:
        return None
    scenarios = [s for s in view.others if (rows["scenario"] == s).any()]
    metrics = [m for m in metrics if (rows["metric"] == m).any()]
    if not scenarios or not metrics:
        return None
    n = len(scenarios)
    single = n == 1
    data = {}
    for name in scenarios:
        sub = rows[rows["scenario"] == name].set_index("metric").reindex(metrics)
        base = sub["baseline_mean"].to_numpy(float)
        with np.errstate(invalid="ignore", divide="ignore"):
            data[name] = tuple(np.where(base != 0, sub[c].to_numpy(float) / base * 100, np.nan)
                               for c in ("diff_mean", "diff_ci_low", "diff_ci_high"))
    means = np.concatenate([d[0] for d in data.values()])
    ends = np.concatenate([np.concatenate([d[1], d[2]]) for d in data.values()])
    max_mean = float(np.nanmax(np.abs(means))) if np.isfinite(means).any() else 0.0
    max_end = float(np.nanmax(np.abs(ends))) if np.isfinite(ends).any() else max_mean
    limit = max(min(max_end * 1.08, max(5.0, 2.2 * max_mean)), 1.2 * max_mean, 1.0)
    legend_h = 0.0 if single else 0.3 * math.ceil(n / 3)
    fig = _new_figure(8.6, 1.2 + len(metrics) * (0.28 + 0.22 * n) + legend_h)
    ax = fig.subplots()
    step = 0.8 / n
    for j, name in enumerate(scenarios):
        pct, lo, hi = data[name]
        y = np.arange(len(metrics)) - 0.4 + step * (j + 0.5)
        c = NHS_BLUE if single else view.colour(name)
        for k in range(len(metrics)):
            if not np.isfinite(pct[k]):
                continue
            if np.isfinite(lo[k]) and np.isfinite(hi[k]):
                a, b = max(lo[k], -limit), min(hi[k], limit)
                ax.plot([a, b], [y[k], y[k]], color=c, linewidth=1.6, solid_capstyle="butt", zorder=3)
                for end, side in ((lo[k], -1), (hi[k], 1)):
                    if abs(end) > limit:
                        ax.plot([side * limit], [y[k]], marker=">" if side > 0 else "<", color=c, markersize=5,
                                zorder=3)
                        ax.annotate(f"CI to {end:+.0f}%".replace("-", "\u2212"), (side * limit, y[k]), xytext=(-4 * side, 5),
                                    textcoords="offset points", ha="right" if side > 0 else "left", va="center",
                                    fontsize=6.5, color=text_colour(c))
                    else:
                        ax.plot([end, end], [y[k] - step * 0.18, y[k] + step * 0.18], color=c, linewidth=1.2,
                                zorder=3)
            ax.plot([pct[k]], [y[k]], marker="o", color=c, markersize=5.5, zorder=4,
                    markeredgecolor="white", markeredgewidth=0.6)
            if abs(pct[k]) >= 0.04 * limit:  # dots on the zero line need no number
                ax.annotate(f"{pct[k]:+.1f}%".replace("-", "\u2212"), (pct[k], y[k]), xytext=(0, 4.5), textcoords="offset points",
                            ha="center", va="bottom", fontsize=6.8, color="#212B32")
    ax.axvline(0, color=ZERO_LINE, linewidth=1)
    for k in range(1, len(metrics)):
        ax.axhline(k - 0.5, color="#E8EDEE", linewidth=0.8, zorder=0)
    ax.set_xlim(-limit, limit)
    ax.set_ylim(len(metrics) - 0.5, -0.5)
    ax.set_yticks(np.arange(len(metrics)))
    ax.set_yticklabels([display_name(m) for m in metrics])
    ax.tick_params(axis="y", length=0)
    ax.grid(axis="y", visible=False)
    ax.grid(axis="x", visible=True)
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:+.0f}%".replace("-", "\u2212") if v else "0%"))
    ax.set_xlabel(f"Change from {safe(short(view.baseline, 30))} over the whole horizon (%): "
                  "paired mean (dot) and 95% CI (line)")
    ax.set_title("What changes against the baseline (whole horizon)", fontsize=10.5)
    if single:
        ax.text(1.0, 1.02, safe(short(scenarios[0], 50)), transform=ax.transAxes, ha="right", va="bottom",
                color=NHS_BLUE, fontsize=9)
    else:
        handles = [Line2D([], [], color=view.colour(nm), marker="o", linewidth=1.6, label=safe(short(nm, 40)))
                   for nm in scenarios]
        fig.legend(handles=handles, loc="lower center", ncol=min(n, 3), fontsize=8.5)
    fig.tight_layout(rect=(0, legend_h / fig.get_figheight(), 1, 1))
    return fig


def occupancy_figure(view: BatchView) -> Figure | None:
    """Histogram of the midnight bed census (% of beds, reporting years) per scenario, and days above 92%."""
    data = {}
    for name in view.scenarios:
        beds = view.beds(name)
        d = view.daily(name)
        if beds is None or d.empty or "beds_occupied" not in d.columns:
            continue
        d = d[d["year"] > 0]
        if len(d):
            data[name] = d["beds_occupied"].to_numpy(float) / beds * 100.0
    if not data:
        return None
    n = len(data)
    fig = _new_figure(10.0, max(3.4, 0.8 * n + 1.9))
    gs = fig.add_gridspec(n, 2, width_ratios=[1.75, 1.0])
    allv = np.concatenate(list(data.values()))
    x_lo = math.floor(min(np.percentile(allv, 0.5), 100 * OCCUPANCY_THRESHOLD - 5) / 5) * 5
    first = None
    axes = []
    for i, (name, occ) in enumerate(data.items()):
        ax = fig.add_subplot(gs[i, 0], sharex=first)
        first = first or ax
        axes.append(ax)
        beds = view.beds(name)
        step = max(1, math.ceil(beds / 100))  # whole beds per bin, at most 100 bins
        edges = (np.arange(0, beds + step + 1, step) - 0.5) / beds * 100.0
        counts, _ = np.histogram(occ, bins=edges)
        share = counts / len(occ) * 100.0
        c = view.colour(name)
        ax.stairs(share, edges, fill=True, color=c, alpha=0.85)
        ax.axvline(100 * OCCUPANCY_THRESHOLD, color=THRESHOLD_COLOUR, linewidth=1.2, linestyle=(0, (3, 2)))
        above = float((occ > 100 * OCCUPANCY_THRESHOLD).mean() * 100)
        hidden = int((occ < x_lo).sum())
        note = f"{above:.0f}% of days above 92%" + (f"\n({hidden} days below {x_lo}% not shown)" if hidden else "")
        ax.text(0.01, 0.92, note, transform=ax.transAxes, ha="left", va="top", fontsize=8, color="#212B32")
        ax.set_ylabel(safe(wrap(name, 16, 3)), rotation=0, ha="right", va="center", fontsize=8.5,
                      color=text_colour(c), labelpad=8)
        ax.yaxis.set_major_locator(MaxNLocator(2))
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:.0f}%"))
        ax.tick_params(axis="y", labelsize=7)
        if i < n - 1:
            ax.tick_params(axis="x", labelbottom=False)
    axes[0].set_title("Share of days at each midnight occupancy", fontsize=9.5)
    axes[0].text(100 * OCCUPANCY_THRESHOLD, 1.02, "92%", transform=axes[0].get_xaxis_transform(), ha="center",
                 va="bottom", fontsize=8, color=THRESHOLD_COLOUR)
    axes[-1].set_xlim(x_lo, 101.5)
    axes[-1].set_xlabel("Acute beds occupied at midnight (% of beds), reporting years")
    axes[-1].xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:.0f}%"))
    # days above 92% a year, with CI
    bx = fig.add_subplot(gs[:, 1])
    names = [nm for nm in data if view.whole(nm, "days_occupancy_above_92pct") is not None]
    H = view.horizon
    for j, name in enumerate(names):
        row = view.whole(name, "days_occupancy_above_92pct")
        m, lo_, hi_ = (float(row[c]) / H for c in ("mean", "ci_low", "ci_high"))
        err = np.nan_to_num([[m - max(lo_, 0.0)], [hi_ - m]], nan=0.0)
        bx.barh(j, m, color=view.colour(name), height=0.6, xerr=err,
                error_kw={"elinewidth": 1, "capsize": 2.5, "ecolor": "#212B32"})
        end = m + (err[1][0] if np.isfinite(err[1][0]) else 0.0)
        bx.annotate(f"{m:.0f}", (end, j), xytext=(4, 0), textcoords="offset points", va="center", fontsize=8)
    bx.set_yticks(range(len(names)))
    bx.set_yticklabels([safe(wrap(nm, 16, 2)) for nm in names], fontsize=8)
    bx.invert_yaxis()
    bx.set_xlim(0, max(10.0, bx.get_xlim()[1]))
    bx.grid(axis="y", visible=False)
    bx.grid(axis="x", visible=True)
    bx.set_xlabel("Days a year (mean, 95% CI)")
    bx.set_title("Days above 92% occupancy", fontsize=9.5)
    fig.suptitle("Acute bed occupancy at midnight", x=0.01, ha="left", fontweight="bold", fontsize=11)
    fig.tight_layout(rect=(0, 0, 1, 0.96), h_pad=0.3)
    return fig


def people_figure(view: BatchView) -> Figure | None:
    """Days at home (65+), where people die (stacked shares) and permanent care-home admissions, per scenario."""
    names = [n for n in view.scenarios if view.whole(n, "deaths") is not None]
    if not names:
        return None
    n = len(names)
    fig = _new_figure(11.0, 1.9 + 0.42 * n)
    axs = fig.subplots(1, 3, sharey=True, gridspec_kw={"width_ratios": [1.0, 1.45, 1.0]})
    y = np.arange(n)
    H = view.horizon
    # days at home: dot and CI (not from zero: differences are small against ~360 days)
    ax = axs[0]
    for j, name in enumerate(names):
        row = view.whole(name, "days_at_home_per_person_65plus")
        if row is None:
            continue
        m, lo, hi = float(row["mean"]), float(row["ci_low"]), float(row["ci_high"])
        ax.errorbar([m], [j], xerr=np.nan_to_num([[m - lo], [hi - m]], nan=0.0), color=view.colour(name),
                    marker="o", markersize=6, capsize=3, elinewidth=1.5)
        ax.annotate(f"{m:.1f}", (m, j), xytext=(0, 6), textcoords="offset points", ha="center", fontsize=7.5)
    ax.set_title("Days at home per person 65+", fontsize=9.5, pad=30)
    ax.set_xlabel("Days a year (mean, 95% CI)")
    ax.margins(x=0.35, y=0.25)
    ax.grid(axis="y", visible=False)
    ax.grid(axis="x", visible=True)
    # place of death
    ax = axs[1]
    left = np.zeros(n)
    for metric, label, colour in DEATH_PLACES:
        vals = np.array([float(view.whole(nm, metric)["mean"]) * 100 if view.whole(nm, metric) is not None
                         else 0.0 for nm in names])
        vals = np.nan_to_num(vals)
        ax.barh(y, vals, left=left, color=colour, height=0.62, label=label, edgecolor="white", linewidth=0.6)
        for j, v in enumerate(vals):
            if v >= 7:
                dark = colour in ("#41B6E6", "#AEB7BD")
                ax.text(left[j] + v / 2, j, f"{v:.0f}%", ha="center", va="center", fontsize=7.5,
                        color="#212B32" if dark else "white")
        left += vals
    ax.set_xlim(0, 100)
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:.0f}%"))
    ax.set_title("Where people die (share of deaths)", fontsize=9.5, pad=30)
    ax.set_xlabel("% of deaths in the horizon")
    ax.grid(axis="y", visible=False)
    ax.legend(loc="lower left", bbox_to_anchor=(0.0, 1.0), ncol=2, fontsize=7.5, borderaxespad=0.2,
              handlelength=1.2, columnspacing=1.0)
    # care-home admissions
    ax = axs[2]
    for j, name in enumerate(names):
        row = view.whole(name, "care_home_admissions_permanent")
        if row is None:
            continue
        m, lo, hi = (float(row[c]) / H for c in ("mean", "ci_low", "ci_high"))
        ax.barh(j, m, color=view.colour(name), height=0.62,
                xerr=np.nan_to_num([[m - max(lo, 0.0)], [hi - m]], nan=0.0),
                error_kw={"elinewidth": 1, "capsize": 2.5, "ecolor": "#212B32"})
    ax.set_title("Permanent care-home admissions", fontsize=9.5, pad=30)
    ax.set_xlabel("Admissions a year (mean, 95% CI)")
    ax.grid(axis="y", visible=False)
    ax.grid(axis="x", visible=True)
    axs[0].set_yticks(y)
    axs[0].set_yticklabels([safe(wrap(nm, 20, 2)) for nm in names])
    for lab, nm in zip(axs[0].get_yticklabels(), names):
        lab.set_color(text_colour(view.colour(nm)))
    axs[0].invert_yaxis()
    fig.suptitle("People's outcomes over the whole horizon", x=0.01, ha="left", fontweight="bold", fontsize=11)
    fig.tight_layout(rect=(0, 0, 1, 0.95))
    return fig


def baseline_census(view: BatchView):
    """Mean midnight beds occupied across the baseline's replications, per day of the run, and the warm-up days."""
    d = view.daily(view.baseline)
    if d.empty or "beds_occupied" not in d.columns:
        return None
    by_day = d.groupby("day")
    series = by_day["beds_occupied"].mean().to_numpy(float)
    warm = int((by_day["year"].first() == 0).sum())
    return series, warm, d


def warmup_assessment(view: BatchView) -> dict | None:
    """:func:`analysis.warmup_check` on the baseline's mean daily ``beds_occupied`` (year 0 is the warm-up)."""
    got = baseline_census(view)
    if got is None:
        return None
    series, warm, _ = got
    try:
        return warmup_check(series, warm)
    except ValueError as err:
        return {"suggested_warmup_days": None, "configured_warmup_days": warm, "adequate": False,
                "message": f"The warm-up could not be checked: {err}."}


def warmup_figure(view: BatchView) -> Figure | None:
    """The baseline's midnight bed census over the whole run, warm-up shaded, MSER-5 suggestion marked."""
    got = baseline_census(view)
    if got is None:
        return None
    series, warm, d = got
    check = warmup_assessment(view)
    fig = _new_figure(9.0, 3.4)
    ax = fig.subplots()
    for _, rep in d.groupby("replication"):
        ax.plot(rep["day"].to_numpy(), rep["beds_occupied"].to_numpy(float), color=NHS_BLUE, alpha=0.18,
                linewidth=0.6)
    ax.plot(np.arange(len(series)), series, color=NHS_BLUE, linewidth=1.3)
    ax.axvspan(0, warm, color=LIGHT_GREY, alpha=0.6, linewidth=0, zorder=0)
    ax.text(6, 0.04, "warm-up (not reported)", transform=ax.get_xaxis_transform(), ha="left",
            va="bottom", fontsize=8, color="#212B32")
    beds = view.beds(view.baseline)
    if beds:
        ax.axhline(beds, color=GREY, linestyle=(0, (1, 2)), linewidth=1)
        ax.text(len(series), beds, " beds", va="center", ha="left", fontsize=8, color=GREY)
    if check and check.get("suggested_warmup_days") is not None:
        s = check["suggested_warmup_days"]
        ax.axvline(s, color=THRESHOLD_COLOUR, linestyle=(0, (3, 2)), linewidth=1.2)
        ax.text(s, 1.01, f"MSER-5 suggests {s} days", transform=ax.get_xaxis_transform(), ha="left",
                va="bottom", fontsize=8, color=THRESHOLD_COLOUR)
    ax.set_ylim(0, None)
    ax.set_xlim(0, len(series))
    ax.set_xlabel("Day of the run (day 0 = start of the warm-up)")
    ax.set_ylabel("Beds occupied at midnight")
    ax.set_title(f"Warm-up check: {safe(short(view.baseline, 40))} bed census (mean line; replications faint)",
                 fontsize=9.5, pad=14)
    fig.tight_layout()
    return fig


# --- money ----------------------------------------------------------------------------------

#: The two payment views drawn side by side: who invests and who saves under each.
MONEY_PANELS = [("tariff", "Activity tariff (every NHS contract)"),
                ("pooled", "Pooled budget with risk and gain share")]


def who_pays_figure(view: BatchView, scenario: str) -> Figure | None:
    """Change in each organisation's net cost against the baseline by year, under a tariff and a pooled budget.

    Bars: organisations (mean paired difference, 95% CI whisker); diamonds: all organisations together (the same
    in both panels: payments move money between organisations, they do not create or lose any).
    """
    m = view.money
    sub = m[(m["scenario"] == scenario) & (m["measure"] == "net_cost_change") & (m["year"] != "all")]
    if sub.empty:
        return None
    years = sorted({int(y) for y in sub["year"]})

    def series(v: str, org: str, col: str) -> np.ndarray:
        rows = sub[(sub["view"] == v) & (sub["organisation"] == org)]
        by = dict(zip(rows["year"].astype(int), rows[col].astype(float)))
        return np.array([by.get(y, np.nan) for y in years], dtype=float)

    orgs = [o for o in ORGANISATIONS
            if any(np.nanmax(np.abs(np.nan_to_num(series(v, o, "mean")))) >= 0.5 for v, _ in MONEY_PANELS)]
    if not orgs:
        orgs = ["icb"]
    fig = _new_figure(10.2, 4.3)
    axs = fig.subplots(1, len(MONEY_PANELS), sharey=True, squeeze=False)[0]
    width = 0.84 / (len(orgs) + 1)  # a slot per organisation, the last for all of them
    x = np.asarray(years, dtype=float)
    for ax, (v, title) in zip(axs, MONEY_PANELS):
        for j, org in enumerate(orgs):
            mean, lo, hi = (series(v, org, c) for c in ("mean", "ci_low", "ci_high"))
            err = np.nan_to_num(np.vstack([mean - lo, hi - mean]), nan=0.0)
            ax.bar(x - 0.42 + width * (j + 0.5), np.nan_to_num(mean), width=width * 0.92, color=ORG_COLOURS[org],
                   yerr=err, error_kw={"elinewidth": 0.9, "capsize": 1.8, "ecolor": "#212B32"}, zorder=3)
        tm, tl, th = (series(v, "total", c) for c in ("mean", "ci_low", "ci_high"))
        ax.errorbar(x - 0.42 + width * (len(orgs) + 0.5), tm, yerr=np.nan_to_num(np.vstack([tm - tl, th - tm]), nan=0.0), fmt="D", color="#212B32",
                    markersize=5, markerfacecolor="white", markeredgewidth=1.4, elinewidth=1.0, capsize=2.5,
                    zorder=4)
        ax.axhline(0, color=ZERO_LINE, linewidth=0.9, zorder=2)
        ax.set_title(title, fontsize=9.5)
        ax.set_xticks(x)
        ax.set_xticklabels([f"Year {y}" for y in years])
        ax.grid(axis="x", visible=False)
    axs[0].set_ylabel("Change in net cost a year (£)\nabove 0: costs it more · below 0: saves it money")
    for ax in axs:
        _money_axis(ax)
    handles = [Patch(color=ORG_COLOURS[o], label=ORG_LABELS[o]) for o in orgs]
    handles.append(Line2D([], [], marker="D", color="#212B32", markerfacecolor="white", linestyle="none",
                          label=ORG_LABELS["total"]))
    fig.suptitle(f"{safe(short(scenario, 60))}: who invests and who saves", x=0.01, ha="left", fontweight="bold",
                 fontsize=11)
    fig.legend(handles=handles, loc="lower center", ncol=min(4, len(handles)), fontsize=8)
    rows = math.ceil(len(handles) / 4)
    fig.tight_layout(rect=(0, 0.05 + 0.045 * rows, 1, 0.95))
    return fig


def cumulative_figure(view: BatchView) -> Figure | None:
    """Cumulative discounted net benefit to all organisations by year, economic and cash, per scenario."""
    m = view.money
    sub = m[(m["measure"] == "cumulative_net_benefit") & (m["organisation"] == "total")
            & (m["view"].isin(["economic", "contracts"]))]
    names = [n for n in view.others if (sub["scenario"] == n).any()]
    if not names:
        return None
    fig = _new_figure(10.2, 3.9 if len(names) == 1 else 4.3)
    axs = fig.subplots(1, 2, sharey=True)
    for ax, (v, title) in zip(axs, (("economic", "Economic: resources at average cost"),
                                   ("contracts", "Cash: only savings that release money"))):
        for name in names:
            rows = sub[(sub["scenario"] == name) & (sub["view"] == v)]
            rows = rows.assign(_y=rows["year"].astype(int)).sort_values("_y")
            yrs = rows["_y"].to_numpy(float)
            mean = rows["mean"].to_numpy(float)
            c = NHS_BLUE if len(names) == 1 else view.colour(name)
            _fill(ax, yrs, rows["ci_low"].to_numpy(float), rows["ci_high"].to_numpy(float), color=c, alpha=0.18,
                  linewidth=0)
            ax.plot(yrs, mean, color=c, linewidth=2, marker="o", markersize=3.5, zorder=3)
        ax.axhline(0, color=ZERO_LINE, linewidth=0.9)
        ax.set_title(title, fontsize=9.5)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_xlabel("Year after the warm-up")
        ax.margins(x=0.06)
    axs[0].set_ylabel("Cumulative net benefit (£)\nabove 0: paid back")
    for ax in axs:
        _money_axis(ax)
    fig.suptitle("Cumulative net benefit to all organisations, discounted (paired mean and 95% CI)", x=0.01,
                 ha="left", fontweight="bold", fontsize=11)
    legend_h = 0.0
    if len(names) > 1:
        handles = [Line2D([], [], color=view.colour(nm), marker="o", linewidth=2, label=safe(short(nm, 40)))
                   for nm in names]
        fig.legend(handles=handles, loc="lower center", ncol=min(len(names), 3), fontsize=8.5)
        legend_h = 0.07 * math.ceil(len(names) / 3)
    fig.tight_layout(rect=(0, legend_h, 1, 0.94))
    return fig


# --- the list of figures --------------------------------------------------------------------


@dataclass(frozen=True)
class FigureSpec:
    """One figure: file stem, report section, caption (plain text) and a builder (None when there is no data)."""

    name: str
    section: str
    caption: str
    build: Callable[[], Figure | None]
    scenario: str | None = None


#: Extra figure makers (each ``BatchView -> list[FigureSpec]``), e.g. ramp-up plots of interventions.
EXTRA_FIGURES: list[Callable[[BatchView], list[FigureSpec]]] = []


def ramp_up_figures(view: BatchView) -> list[FigureSpec]:
    """Ramp-up of interventions: capacity maturity and effect level by year, one panel per scenario."""
    keys = sorted({m[: -len("_maturity")] for m in view.summary["metric"].unique()
                   if m.startswith("intervention_") and m.endswith("_maturity")})
    if not keys:
        return []
    return [FigureSpec(
        "intervention_ramp_up", "ramp_up",
        "How each intervention builds up: the share of its capacity in place (solid) and its effect level "
        "(dashed: maturity x any fade x the replication's effect draw), yearly means of monthly values, mean "
        "across replications. 1 is the full capacity or the full stated effect.",
        lambda: ramp_up_figure(view, keys))]


def ramp_up_figure(view: BatchView, keys: list[str]) -> Figure | None:
    summary = view.summary[view.summary["year"] != "all"]
    panels = []
    for name in view.scenarios:
        rows = summary[(summary["scenario"] == name) & summary["metric"].isin(
            [f"{k}_{w}" for k in keys for w in ("maturity", "effect_level")])]
        if not rows.empty:
            panels.append((name, rows))
    if not panels:
        return None
    n = len(panels)
    ncols = min(n, 2)
    nrows = math.ceil(n / ncols)
    fig = _new_figure(5.0 * ncols + 0.6, 2.9 * nrows + 0.9)
    axs = fig.subplots(nrows, ncols, sharey=True, squeeze=False)
    pending = []
    for ax, (name, rows) in zip(axs.flat, panels):
        present = [k for k in keys if (rows["metric"] == f"{k}_maturity").any()]
        cols = colours(max(1, len(present)))
        labels = []
        for colour, key in zip(cols, present):
            for what, style in (("maturity", "-"), ("effect_level", (0, (4, 2)))):
                r = rows[rows["metric"] == f"{key}_{what}"].copy()
                r["y"] = r["year"].astype(int)
                r = r.sort_values("y")
                ax.plot(r["y"], r["mean"], color=colour, linestyle=style, linewidth=2 if what == "maturity" else 1.4,
                        marker="o" if what == "maturity" else None, markersize=3)
            last = rows[rows["metric"] == f"{key}_maturity"]
            last = last.assign(y=last["year"].astype(int)).sort_values("y")
            if not last.empty:
                labels.append((float(last["y"].iloc[-1]), float(last["mean"].iloc[-1]),
                               short(key[len("intervention_"):].replace("_", " "), 22), colour))
        pending.append((ax, labels))
        ax.set_title(safe(wrap(name, 48, 2)), color=text_colour(view.colour(name)), fontsize=9.5)
        ax.set_ylim(-0.02, 1.05)
        ax.set_ylabel("Share of full capacity / effect")
        ax.set_xlabel("Year after the warm-up")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.margins(x=0.05)
    for ax in axs.flat[n:]:
        ax.set_visible(False)
    handles = [Line2D([], [], color=GREY, linewidth=2, marker="o", markersize=3, label="capacity in place"),
               Line2D([], [], color=GREY, linewidth=1.4, linestyle=(0, (4, 2)), label="effect level")]
    fig.suptitle("Ramp-up of interventions", x=0.01, ha="left", fontweight="bold", fontsize=11)
    fig.legend(handles=handles, loc="lower left", ncol=2, bbox_to_anchor=(0.01, 0.0), fontsize=8)
    fig.tight_layout(rect=(0, 0.06 if nrows == 1 else 0.04, 0.9, 0.97))
    for ax, labels in pending:
        direct_labels(ax, labels, fontsize=7.5)
    return fig


def figure_specs(view: BatchView) -> list[FigureSpec]:
    """Every figure of a batch, in report order."""
    specs: list[FigureSpec] = []
    others = view.others
    if others:
        specs.append(FigureSpec(
            "difference_from_baseline", "overview",
            "Each scenario's change from the baseline over the whole horizon, in per cent, paired on replication; "
            "the whisker is the 95% confidence interval. A whisker crossing zero means the change could be chance.",
            lambda: difference_chart(view, DIFF_METRICS)))
    for metric in TREND_METRICS:
        specs.append(FigureSpec(
            metric, "time",
            f"{display_name(metric)} by year in each scenario: the line is the mean across replications, the "
            "darker band its 95% confidence interval and the lighter band the lowest to highest replication. "
            "The dashed grey line repeats the baseline. With few replications the confidence interval can be "
            "wider than the range of the replications: it says how unsure the mean is.",
            lambda m=metric: fan_chart(view, m)))
    if others:
        specs.append(FigureSpec(
            "differences_by_year", "differences",
            "Scenario minus baseline, year by year, for the headline measures (paired differences with 95% "
            "confidence intervals). Shares are in percentage points.",
            lambda: differences_by_year(view, KEY_METRICS, others, "Difference from the baseline by year")))
    specs.append(FigureSpec(
        "occupancy_distribution", "capacity",
        "How full the acute beds are at midnight: the share of days at each occupancy (reporting years, all "
        "replications), with the 92% line often used as the safe limit, and the number of days a year above it. "
        "A bar at 100% counts days when every bed was full.",
        lambda: occupancy_figure(view)))
    specs.append(FigureSpec(
        "people_outcomes", "people",
        "People's outcomes: days a year that a person aged 65+ spends at home (not in an acute bed or a care "
        "home), where deaths happen, and permanent care-home admissions a year.",
        lambda: people_figure(view)))
    money = view.money_metrics()
    if money and others:
        specs.append(FigureSpec(
            "money_differences_by_year", "money",
            "Money: scenario minus baseline by year (paired, 95% confidence interval). Economic cost values the "
            "resources used at average unit costs; cash cost counts only what moves money (fixed costs stay unless "
            "capacity closes).",
            lambda: differences_by_year(view, money, others, "Money: difference from the baseline by year")))
    if others and not view.money.empty:
        specs.append(FigureSpec(
            "money_cumulative_net_benefit", "money",
            "Cumulative net benefit to all organisations (savings minus investment, discounted), paired on "
            "replication, with its 95% confidence interval. Left: savings valued at average cost, including "
            "capacity freed but still paid for; right: cash only. The line crossing zero is the break-even year.",
            lambda: cumulative_figure(view)))
        for name in others:
            specs.append(FigureSpec(
                f"money_who_pays_{output.slug(name)}", "money_scenario",
                "Change in each organisation's net cost against the baseline, year by year (paired mean and 95% "
                "CI): investment plus cash costs minus payments received. Left: every NHS contract paid by "
                "activity tariff; right: a pooled budget whose gain or loss is shared by agreed percentages. "
                "Diamonds: all organisations together, the same in both (payments move money between "
                "organisations, they do not create or lose any).",
                lambda nm=name: who_pays_figure(view, nm), scenario=name))
    for name in others:
        specs.append(FigureSpec(
            f"differences_by_year_{output.slug(name)}", "scenario",
            "Difference from the baseline by year (paired, 95% confidence interval).",
            lambda nm=name: differences_by_year(view, KEY_METRICS + money, [nm],
                                                f"{short(nm, 50)}: difference from the baseline by year"),
            scenario=name))
    specs.append(FigureSpec(
        "warmup_check", "checks",
        "The baseline's bed census over the whole run. The shaded warm-up fills the beds and is left out of every "
        "result; the dashed line is where the MSER-5 rule says the start-up effect ends.",
        lambda: warmup_figure(view)))
    specs.extend(ramp_up_figures(view))
    for maker in EXTRA_FIGURES:
        specs.extend(maker(view))
    return specs


# --- saving -------------------------------------------------------------------------------------


def render(fig: Figure, fmt: str) -> bytes:
    """The figure as PNG or SVG bytes, deterministic."""
    buf = io.BytesIO()
    with matplotlib.rc_context(STYLE):
        if fmt == "png":
            fig.savefig(buf, format="png", dpi=DPI, metadata=PNG_METADATA)
        else:
            fig.savefig(buf, format="svg", metadata=SVG_METADATA)
    return buf.getvalue()


def build(spec: FigureSpec) -> Figure | None:
    """Draw one figure in the house style."""
    with matplotlib.rc_context(STYLE):
        return spec.build()


def save_figure(fig: Figure, stem: Path) -> list[Path]:
    """``stem.png`` and ``stem.svg``, each written atomically."""
    out = []
    for fmt in ("png", "svg"):
        path = stem.with_name(stem.name + "." + fmt)
        output.atomic_write_bytes(path, render(fig, fmt))
        out.append(path)
    return out


def _manifest(batch: Path) -> dict:
    try:
        with open(batch / "manifest.json", encoding="utf-8") as fh:
            return json.load(fh)
    except (OSError, ValueError):
        return {}


CACHE = ".figures.json"


def fingerprint(batch: Path) -> str:
    """What the figures of a batch depend on: this drawing code, the manifest, the summaries and the runs."""
    h = hashlib.sha256()
    h.update(Path(__file__).read_bytes())
    h.update(matplotlib.__version__.encode())
    for name in ("manifest.json", "summary.csv", "comparison.csv", "money.csv"):
        path = batch / name
        h.update(name.encode() + b"\0" + (path.read_bytes() if path.is_file() else b"-") + b"\0")
    for done in sorted(batch.glob(f"*/rep=*/{output.DONE}")):
        h.update(done.parent.relative_to(batch).as_posix().encode() + b"\0")
        for part in ("metrics.parquet", "daily.parquet"):
            st = (done.parent / part).stat() if (done.parent / part).is_file() else None
            h.update(f"{part}:{st.st_size if st else -1}:{st.st_mtime_ns if st else -1}\0".encode())
    return h.hexdigest()


def cached_pngs(batch: Path) -> dict[str, bytes] | None:
    """The PNGs in ``<batch>/plots`` when they were drawn from exactly the batch as it is now, else None."""
    batch = Path(batch)
    try:
        with open(batch / "plots" / CACHE, encoding="utf-8") as fh:
            record = json.load(fh)
        if record.get("fingerprint") != fingerprint(batch):
            return None
        return {name: (batch / "plots" / f"{name}.png").read_bytes() for name in record["figures"]}
    except (OSError, ValueError, KeyError, TypeError):
        return None


def remember(batch: Path, names: list[str], key: str | None = None) -> None:
    """Record which figures ``<batch>/plots`` holds for the batch as it is now (see :func:`cached_pngs`)."""
    output.atomic_write_text(Path(batch) / "plots" / CACHE,
                             json.dumps({"fingerprint": key or fingerprint(Path(batch)), "figures": names}) + "\n")


def _same_keys(table: pd.DataFrame, path: Path) -> bool:
    try:
        saved = read_table(path)
    except (OSError, ValueError):
        return False
    cols = ["scenario", "metric", "year"]
    return len(saved) == len(table) and saved[cols].reset_index(drop=True).equals(
        normalise(table)[cols].astype(str).reset_index(drop=True))


#: Share a batch's figures with a second process from this many figures on (starting it costs ~2 s).
MIN_FIGURES_TO_SHARE = 8


def _render_all(specs: list[FigureSpec]) -> dict[str, dict[str, bytes]]:
    """Draw figures: name -> {"png": bytes, "svg": bytes} (figures with nothing to show are left out)."""
    out = {}
    for spec in specs:
        fig = build(spec)
        if fig is not None:
            out[spec.name] = {fmt: render(fig, fmt) for fmt in ("png", "svg")}
    return out


def draw_some(batch: Path, summary: pd.DataFrame, comparison: pd.DataFrame, scenarios: list[str], baseline: str,
              names: list[str]) -> dict[str, dict[str, bytes]]:
    """The named figures of a batch, drawn (as :func:`_render_all`): :func:`draw_all`'s helper process."""
    batch = Path(batch)
    view = BatchView(batch, normalise(summary), normalise(comparison), list(scenarios), baseline, _manifest(batch))
    wanted = set(names)
    return _render_all([spec for spec in figure_specs(view) if spec.name in wanted])


def draw_all(batch: Path, summary: pd.DataFrame, comparison: pd.DataFrame, scenarios: list[str],
             baseline: str) -> list[Path]:
    """Every figure of a batch into ``<batch>/plots`` (PNG and SVG); returns the files written.

    With two cores or more, a second process draws every other figure meanwhile (:func:`draw_some`;
    the files are the same byte for byte, whoever draws them): 16-18 s instead of 23-28 s for a
    batch of five scenarios.

    When the tables given are the batch's saved summaries, the figures are recorded so that
    :func:`simulation.report.write_report` can embed them without drawing them again.
    """
    batch = Path(batch)
    view = BatchView(batch, normalise(summary), normalise(comparison), list(scenarios), baseline, _manifest(batch))
    out: list[Path] = []
    if summary.empty:
        return out
    key = fingerprint(batch)
    (batch / "plots" / CACHE).unlink(missing_ok=True)
    specs = figure_specs(view)
    # every other figure is drawn by a second process meanwhile (the same bytes: drawing is deterministic)
    helper, theirs = None, [spec.name for spec in specs[1::2]]
    if len(specs) >= MIN_FIGURES_TO_SHARE and (os.cpu_count() or 1) > 1:
        try:
            pool = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn"))
            helper = pool.submit(draw_some, batch, summary, comparison, list(scenarios), baseline, theirs)
            pool.shutdown(wait=False)
        except Exception:  # no second process here (a daemon process, no resources): draw them all in this one
            helper = None
    drawn = _render_all([spec for spec in specs if helper is None or spec.name not in theirs])
    if helper is not None:
        try:
            drawn.update(helper.result())
        except Exception:  # the helper failed (BrokenProcessPool, ...): draw its share here
            drawn.update(_render_all([spec for spec in specs if spec.name in theirs]))
    names = []
    for spec in specs:
        if spec.name not in drawn:
            continue  # a figure with nothing to show
        for fmt in ("png", "svg"):
            path = batch / "plots" / f"{spec.name}.{fmt}"
            output.atomic_write_bytes(path, drawn[spec.name][fmt])
            out.append(path)
        names.append(spec.name)
    if _same_keys(summary, batch / "summary.csv") and _same_keys(comparison, batch / "comparison.csv"):
        remember(batch, names, key)
    return out


# --- sensitivity ----------------------------------------------------------------------------------


def _path_label(path: str, width: int = 26) -> str:
    """A dotted setting path on lines of at most `width` characters, broken after dots (never inside a name)."""
    lines: list[str] = []
    for part in str(path).split("."):
        if lines and len(lines[-1]) + 1 + len(part) <= width:
            lines[-1] += "." + part
        elif lines:
            lines[-1] += "."
            lines.append(part)
        else:
            lines.append(part)
    return "\n".join(lines)


def _value_text(value) -> str:
    if isinstance(value, float) and value.is_integer() and abs(value) >= 10:
        return f"{value:,.0f}"
    return f"{value:,}" if isinstance(value, int) else str(value)


def tornado_figure(table: pd.DataFrame, metric: str, title: str | None = None,
                   horizon_years: int | None = None) -> Figure:
    """One-way sensitivity (``simulation.sensitivity.tornado_table``): for each parameter (widest swing on top)
    a bar for its low end and one for its high end, each the paired change from the base with its 95% CI as a
    whisker and the parameter's value at its end.

    `horizon_years` names the whole-horizon unit of a count (a total over those years)."""
    rows = table.reset_index(drop=True)
    n = len(rows)
    fig = _new_figure(8.0, 2.0 + 0.85 * max(n, 1))
    ax = fig.add_subplot(111)
    scale = scale_of(metric)
    colours = {"low": OKABE_ITO[0], "high": OKABE_ITO[1]}
    offsets = {"low": 0.19, "high": -0.19}
    ends = []
    for i, r in rows.iterrows():
        y0 = n - 1 - i
        for end in ("low", "high"):
            y = y0 + offsets[end]
            v = float(r[f"{end}_diff"]) * scale
            lo, hi = float(r[f"{end}_ci_low"]) * scale, float(r[f"{end}_ci_high"]) * scale
            ax.barh(y, v, height=0.34, color=colours[end], alpha=0.9)
            has_ci = lo == lo and hi == hi
            if has_ci:
                ax.plot([lo, hi], [y, y], color=ZERO_LINE, lw=1.0)
                ax.plot([lo, lo], [y - 0.07, y + 0.07], color=ZERO_LINE, lw=1.0)
                ax.plot([hi, hi], [y - 0.07, y + 0.07], color=ZERO_LINE, lw=1.0)
            outer = (max(v, hi) if has_ci else v) if v >= 0 else (min(v, lo) if has_ci else v)
            ends.append(outer)
            ax.annotate(_value_text(r[end]), (outer, y), xytext=(4 if v >= 0 else -4, 0),
                        textcoords="offset points", ha="left" if v >= 0 else "right", va="center", fontsize=8,
                        color=GREY)
    ax.axvline(0.0, color=ZERO_LINE, lw=1.0)
    ax.set_yticks(range(n))
    ax.set_yticklabels([_path_label(p) for p in rows["parameter"][::-1]])
    ax.set_ylim(-0.6, n - 0.4)
    if ends:  # room for the value labels beyond the whiskers
        lo_x, hi_x = min(min(ends), 0.0), max(max(ends), 0.0)
        pad = 0.14 * (hi_x - lo_x or 1.0)
        ax.set_xlim(lo_x - pad, hi_x + pad)
    unit = axis_unit(metric, per_year=False, difference=True)
    over = ""
    if kind_of(metric) == "count" and not is_share(metric):
        over = f" over the {horizon_years} reported years" if horizon_years else " over the horizon"
    base = float(rows["base_mean"].iloc[0]) * scale if n else float("nan")
    reps = int(rows["replications"].max()) if n else 0
    base_text = money_text(base) if is_money(metric) else f"{base:,.4g}" if abs(base) < 1000 else f"{base:,.0f}"
    ax.set_xlabel(f"Change from the base ({unit}{over})")
    ax.set_title(title or f"One-way sensitivity: {display_name(metric)}", loc="left", pad=34)
    ax.text(0.0, 1.02, f"Base: {base_text}{(' ' + unit) if unit and not is_money(metric) else ''}{over}.\n"
            f"Bars: mean paired change from the base over {reps} replications; whiskers: 95% CI.",
            transform=ax.transAxes, fontsize=8, color=GREY, va="bottom", ha="left", linespacing=1.4)
    ax.legend(handles=[Patch(color=colours["low"], label="parameter at its low value"),
                       Patch(color=colours["high"], label="parameter at its high value")],
              loc="upper center", bbox_to_anchor=(0.5, -0.13 - 0.25 / (n + 2)), ncol=2, fontsize=8,
              frameon=False)
    if is_money(metric):
        _money_axis(ax, "x")
    fig.tight_layout()
    return fig

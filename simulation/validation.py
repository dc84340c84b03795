"""The baseline against its calibration targets: bands, achieved values, and ``docs/validation.md``.

``python run_scenarios.py validation`` runs the baseline (by default 5
replications of 5 years at 250,000 people), compares each target metric's
horizon mean and 95% interval with its band, and writes the table. Targets and
their sources are in ``docs/evidence.md``.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from .scenario.fields import AGE_BANDS
from .scenario.schema import Scenario

#: England profile (docs/evidence.md: ea-by-age M, ae-attendances R, ambulance-incidents D).
ENGLAND_EA_PER_1000_BY_BAND = {"age_0_17": 70.0, "age_18_64": 65.0, "age_65_74": 150.0, "age_75_84": 280.0,
                               "age_85_plus": 500.0}
ENGLAND_AE_PER_1000 = 270.0
ENGLAND_AMBULANCE_PER_1000 = 150.0


@dataclass(frozen=True)
class Band:
    """A calibration band for one metric (whole-horizon value)."""

    metric: str
    low: float
    high: float
    target: str
    evidence: str
    percent: bool = False


def england_ea_per_1000(scenario: Scenario) -> float:
    """The England profile's emergency admissions per 1,000 for the scenario's starting age mix."""
    shares = scenario.population.age_band_shares
    return sum(getattr(shares, b) * ENGLAND_EA_PER_1000_BY_BAND[b] for b in AGE_BANDS)


def bands(scenario: Scenario) -> list[Band]:
    """The calibration bands of the services issue, for this scenario's place."""
    ea = england_ea_per_1000(scenario)
    return [
        Band("emergency_admissions_per_1000", 0.95 * ea, 1.05 * ea, f"{ea:.1f} per 1,000 +-5%", "ea-by-age"),
        Band("ae_attendances_per_1000", 0.95 * ENGLAND_AE_PER_1000, 1.05 * ENGLAND_AE_PER_1000,
             "270 per 1,000 +-5%", "ae-attendances"),
        Band("ae_admission_conversion", 0.20, 0.29, "20-29%", "ae-conversion", True),
        Band("zero_day_share", 0.28, 0.38, "28-38%", "zero-day", True),
        Band("bed_occupancy_mean", 0.88, 0.95, "88-95%", "bed-occupancy", True),
        Band("delayed_discharge_beds_share", 0.05, 0.15, "5-15% of beds", "delayed-discharge", True),
        Band("deaths_in_hospital_share", 0.38, 0.48, "38-48%", "place-of-death", True),
        Band("at_home_91d_after_reablement_share", 0.78, 0.86, "78-86%", "ascof-2b1", True),
    ]


#: Reported beside the bands for context (no pass/fail).
CONTEXT = [
    ("ambulance_incidents_per_1000", "~150 per 1,000", "ambulance-incidents", False),
    ("ae_arrivals_by_ambulance_share", "~23% of all A&E types (type 1 higher)", "ae-ambulance-arrivals", True),
    ("ambulance_conveyance_share", "~72% of face-to-face (2012/13); ~55% of all incidents now", "ambulance-outcomes",
     True),
    ("mean_los_overnight_days", "8-9 days (85+: 11-12.5)", "los", False),
    ("readmission_rate_30d", "~12-15%", "readmission", True),
    ("reablement_no_further_support_share", "75-80%", "ascof-2d", True),
    ("care_home_admissions_per_100k_65plus", "584 council-funded (2019/20); more with self-funders", "ascof-2a",
     False),
    ("deaths_at_home_share", "~29%", "place-of-death", True),
    ("deaths_in_care_home_share", "~21%", "place-of-death", True),
    ("ae_4h_performance", "74% (March 2024); standard 95%", "ae-4h", True),
]


#: Shown year by year in docs/validation.md.
YEARLY = [("emergency_admissions_per_1000", False), ("bed_occupancy_mean", True),
          ("delayed_discharge_beds_share", True), ("ae_4h_performance", True), ("deaths_in_hospital_share", True),
          ("care_homes_in_use_mean", False), ("population_85plus", False)]


#: The named validation cases (tests/validation/test_named_cases.py), appended to docs/validation.md.
NAMED_CASES = """## Named validation cases

Run by `python -m pytest -q tests/validation` on small places (20,000-50,000 people, one reported year, fixed
seeds); each test's docstring gives the published figures and why its tolerance is what it is.

| case | published | the model (test figures) | tolerance |
|---|---|---|---|
| Telehealth, Whole System Demonstrator (Steventon et al., BMJ 2012) | 0.54 vs 0.68 emergency admissions per head (ratio 0.79) | crisis hazard ratio 0.8 on 4,000 enrolled LTC patients: cohort admissions 0.797 x those of the same people in the paired baseline (capacity unconstrained; ~0.87 with finite capacity, as congestion is relieved) | within 0.06 of 0.79 |
| Regression to the mean, case management (Gravelle et al., BMJ 2007; Roland et al., BMJ 2005) | before/after falls large; no fall against matched controls | no true effect; cohort with >= 2 admissions in the prior year: naive change -1.55 admissions per person-year, matched controls -1.51, difference-in-differences -0.03, true paired effect 0 | DiD within 0.35 and under a quarter of the naive change; true effect exactly 0 |
| Occupancy and bed crises (Bagust et al., BMJ 1999) | days with no free bed rare below ~85% mean occupancy, regular above, frequent at 90%+ | place of 50,000, acute beds swept: (mean occupancy, share of days full) = (72%, 0.3%), (81%, 4%), (91%, 41%), (95%, 66%) | bands: < 2% below 75%, < 10% below 82%, > 5% at 85%+, > 25% at 90%+; monotone |

`python run_scenarios.py evaluate SCENARIO --intervention NAME` gives the same three answers (naive, matched
control, true counterfactual) for any cohort intervention; see `docs/sensitivity.md` for parameter uncertainty.
"""


def _fmt(value: float, percent: bool) -> str:
    if value != value:
        return "n/a"
    return f"{value * 100:.1f}%" if percent else f"{value:,.1f}"


def validation_table(summary: pd.DataFrame, scenario: Scenario, name: str = "baseline") -> pd.DataFrame:
    """Each band with the achieved horizon mean, its 95% CI and whether the mean is inside the band."""
    rows = summary[(summary["scenario"] == name) & (summary["year"].astype(str) == "all")].set_index("metric")
    out = []
    for b in bands(scenario):
        r = rows.loc[b.metric] if b.metric in rows.index else None
        mean = float(r["mean"]) if r is not None else float("nan")
        out.append({"metric": b.metric, "target": b.target, "low": b.low, "high": b.high, "mean": mean,
                    "ci_low": float(r["ci_low"]) if r is not None else float("nan"),
                    "ci_high": float(r["ci_high"]) if r is not None else float("nan"),
                    "within": bool(b.low <= mean <= b.high), "evidence": b.evidence, "percent": b.percent})
    return pd.DataFrame(out)


def validation_markdown(summary: pd.DataFrame, scenario: Scenario, settings: dict, name: str = "baseline") -> str:
    """``docs/validation.md``: the calibration bands and context figures with achieved values."""
    table = validation_table(summary, scenario, name)
    rows = summary[(summary["scenario"] == name) & (summary["year"].astype(str) == "all")].set_index("metric")
    lines = [
        "# Validation",
        "",
        "<!-- Generated by `python run_scenarios.py validation`; do not edit by hand. -->",
        "",
        f"The baseline run with {settings['replications']} replications of {settings['years']} years at "
        f"{settings['population']:,} people (seed {settings['seed']}). Values are whole-horizon means with 95% "
        "confidence intervals across replications; a band is met when the mean lies inside it. Evidence keys "
        "refer to `docs/evidence.md`.",
        "",
        "## Calibration bands",
        "",
        "| metric | band | achieved (95% CI) | met | evidence |",
        "|---|---|---|---|---|",
    ]
    for _, r in table.iterrows():
        p = r["percent"]
        achieved = f"{_fmt(r['mean'], p)} ({_fmt(r['ci_low'], p)} to {_fmt(r['ci_high'], p)})"
        lines.append(f"| `{r['metric']}` | {r['target']} | {achieved} | {'yes' if r['within'] else '**no**'} | "
                     f"{r['evidence']} |")
    met = int(table["within"].sum())
    lines += ["", f"{met} of {len(table)} bands met.", "", "## Context (no band)", "",
              "| metric | published figure | achieved (95% CI) | evidence |", "|---|---|---|---|"]
    for metric, figure, key, pct in CONTEXT:
        if metric in rows.index:
            r = rows.loc[metric]
            achieved = f"{_fmt(r['mean'], pct)} ({_fmt(r['ci_low'], pct)} to {_fmt(r['ci_high'], pct)})"
        else:
            achieved = "n/a"
        lines.append(f"| `{metric}` | {figure} | {achieved} | {key} |")
    lines.append("")
    by_year = summary[(summary["scenario"] == name) & (summary["year"].astype(str) != "all")]
    if len(by_year):
        years = sorted({int(y) for y in by_year["year"]})
        lines += ["## Year by year", "",
                  "Capacity is held fixed while the population ages and demand grows, so pressure builds over the "
                  "horizon; the bands above judge the whole-horizon mean.", "",
                  "| metric | " + " | ".join(f"year {y}" for y in years) + " |",
                  "|---|" + "---|" * len(years)]
        table = by_year.assign(year=by_year["year"].astype(int)).set_index(["metric", "year"])["mean"]
        for metric, pct in YEARLY:
            if (metric, years[0]) in table.index:
                cells = [_fmt(float(table.loc[(metric, y)]), pct) for y in years]
                lines.append(f"| `{metric}` | " + " | ".join(cells) + " |")
        lines.append("")
    lines.append(NAMED_CASES)
    return "\n".join(lines)

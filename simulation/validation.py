"""``docs/validation.md``: the baseline against its calibration targets, and every verification check.

``python run_scenarios.py validation`` runs the baseline (by default 5
replications of 5 years at 250,000 people), compares each target metric's
horizon mean and 95% interval with its band, reports the invariants recorded on
each of its runs (conservation, Little's law), runs the queueing-theory checks
and the named validation cases of :mod:`simulation.verification`, and writes
the document. Targets and their sources are in ``docs/evidence.md``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from .scenario.fields import AGE_BANDS
from .scenario.schema import Scenario
from .verification import Check

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


def _cell(text: str) -> str:
    """Text safe inside a markdown table cell."""
    return str(text).replace("|", "\\|").replace("\n", " ")


def _met(ok: bool) -> str:
    return "yes" if ok else "**no**"


def checks_markdown(checks: list[Check], notes: bool = True) -> list[str]:
    """Table lines: one row per check with its target, achieved value, tolerance and whether it is met."""
    lines = ["| check | target | achieved | tolerance | met |" + (" notes |" if notes else ""),
             "|---|---|---|---|---|" + ("---|" if notes else "")]
    for c in checks:
        row = [c.name, c.target, c.achieved, c.tolerance, _met(c.met)] + ([c.detail] if notes else [])
        lines.append("| " + " | ".join(_cell(x) for x in row) + " |")
    return lines


def read_invariants(batch: Path, name: str) -> list[list[Check]]:
    """The invariants recorded in ``run.json`` of each completed replication of scenario `name`, by replication
    (runs without them are left out)."""
    from .output import DONE, slug

    out = []
    for done in sorted((batch / slug(name)).glob(f"rep=*/{DONE}"), key=lambda p: int(p.parent.name[4:])):
        try:
            info = json.loads((done.parent / "run.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if info.get("invariants"):
            out.append([Check.from_dict(d) for d in info["invariants"]])
    return out


def combine_runs(per_run: list[list[Check]]) -> list[dict]:
    """Each invariant across replications: the first run's check, the run with the largest deviation, and how
    many runs met it."""
    out: dict[str, dict] = {}
    for checks in per_run:
        for c in checks:
            row = out.setdefault(c.name, {"first": c, "worst": c, "met": 0, "runs": 0})
            row["runs"] += 1
            row["met"] += c.met
            if abs(c.deviation) > abs(row["worst"].deviation) or (not c.met and row["worst"].met):
                row["worst"] = c
    return list(out.values())


def invariants_markdown(per_run: list[list[Check]]) -> list[str]:
    """Table lines: each invariant with replication 0's values and the largest deviation over the runs."""
    n = len(per_run)
    lines = ["| check | target (replication 0) | achieved (replication 0) | largest deviation, all runs | "
             "tolerance | met |", "|---|---|---|---|---|---|"]
    for row in combine_runs(per_run):
        first, worst = row["first"], row["worst"]
        met = f"{_met(row['met'] == row['runs'])} ({row['met']} of {row['runs']} runs)" if n > 1 else \
            _met(first.met)
        cells = [first.name, first.target, first.achieved, worst.deviation_text, first.tolerance, met]
        lines.append("| " + " | ".join(_cell(x) for x in cells) + " |")
    return lines


def _count(checks: list[Check]) -> str:
    return f"{sum(c.met for c in checks)} of {len(checks)}"


def validation_markdown(summary: pd.DataFrame, scenario: Scenario, settings: dict, name: str = "baseline",
                        invariants: list[list[Check]] | None = None, checks: list[Check] | None = None) -> str:
    """``docs/validation.md``: the calibration bands and context figures with achieved values, the invariants of
    the baseline's runs, and the queueing-theory and named checks (:mod:`simulation.verification`)."""
    from .verification import NAMED, QUEUEING

    checks = checks or []
    queueing = [c for c in checks if c.section == QUEUEING]
    named = [c for c in checks if c.section == NAMED]
    table = validation_table(summary, scenario, name)
    rows = summary[(summary["scenario"] == name) & (summary["year"].astype(str) == "all")].set_index("metric")
    combined = combine_runs(invariants or [])
    inv_met = sum(r["met"] == r["runs"] for r in combined)
    lines = [
        "# Validation",
        "",
        "<!-- Generated by `python run_scenarios.py validation`; do not edit by hand. -->",
        "",
        "Everything below is regenerated by one command, `python run_scenarios.py validation` (a few minutes on "
        "2 cores with `--jobs 2`): the baseline against its calibration bands, the invariants checked on each of "
        "its runs, the model's capacity pool against queueing theory, and the named validation cases. The tests in "
        "`tests/validation` run the same checks (`simulation/verification.py`) at the same sizes and fail when one "
        "is not met; the reasoning behind each tolerance (the standard error it allows for) is in their "
        "docstrings.",
        "",
        "| section | met |",
        "|---|---|",
        f"| [Calibration bands](#calibration-bands) | {int(table['within'].sum())} of {len(table)} |",
        f"| [Invariants of the baseline runs](#invariants-of-the-baseline-runs) | "
        + (f"{inv_met} of {len(combined)} hold in all {len(invariants)} runs |" if combined
           else "not recorded |"),
        f"| [Queueing theory](#queueing-theory) | {_count(queueing)} |" if queueing else
        "| Queueing theory | not run |",
        f"| [Named validation cases](#named-validation-cases) | {_count(named)} |" if named else
        "| Named validation cases | not run |",
        "",
        "## Calibration bands",
        "",
        f"The baseline run with {settings['replications']} replications of {settings['years']} years at "
        f"{settings['population']:,} people (seed {settings['seed']}). Values are whole-horizon means with 95% "
        "confidence intervals across replications; a band is met when the mean lies inside it. Evidence keys "
        "refer to `docs/evidence.md`.",
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
    lines += ["## Invariants of the baseline runs", "",
              "Checked on every run of the full model as it finishes (`simulation.verification.run_invariants`, "
              "recorded in each run's `run.json`; a failed exact invariant is a warning in the batch's "
              "`checks.json`). Shown for the baseline runs above: replication 0's values and the largest "
              "deviation over all runs. The exact invariants are conservation identities: the monitors that "
              "the outputs are read from against the patients' own records, equal to rounding error.", "",
              "Little's law (L = λW) is checked over the reported years (after the warm-up) on the queue of every "
              "pool, the time-average number waiting (the pool's queue monitor) against starts per day x mean wait "
              "(each wait measured from the patient's own joining time; those still waiting at the end counted "
              "up to it), and on the acute beds, the time-average number of beds in use against discharges per "
              "day x mean length of stay (each patient's admission and discharge days). Waits and stays running "
              "across the start or the end of the reported years are edge terms; and patients who die waiting "
              "in a hospital bed for a discharge place (reablement, home care, community nursing, intermediate "
              "care, a care home) leave the queue without a recorded wait, so for those pools the queue monitor "
              "can exceed λWq by their share. The other pools keep their holding times only as the monitor's "
              "integral, so their occupancy has no separate measurement to check against.", ""]
    if combined:
        lines += invariants_markdown(invariants)
        lines += ["", f"{inv_met} of {len(combined)} invariants hold in every run.", ""]
    else:
        lines += ["Not recorded in this batch (its runs predate the invariants); run the command without "
                  "`--batch`.", ""]
    lines += ["## Queueing theory", "",
              "The model's own capacity pool (`simulation.services.pools.Pool`, which every bed, cubicle, crew, "
              "place and package in the model uses) driven by small SimPy models with Poisson arrivals, against "
              "closed-form results (`simulation/queueing_theory.py`). Fixed seeds, so every figure is "
              "reproducible; each tolerance is at least three standard errors of its estimate at the run length "
              "used (the notes give the standard error).", ""]
    lines += (checks_markdown(queueing) if queueing else ["Not run."]) + [""]
    if queueing:
        lines += [f"{_count(queueing)} checks met.", ""]
    lines += ["## Named validation cases", "",
              "Small places (20,000-50,000 people, one reported year, one replication, fixed seeds) set up as the "
              "published studies were, and the same measure taken.", ""]
    lines += (checks_markdown(named) if named else ["Not run."]) + [""]
    if named:
        lines += [f"{_count(named)} cases met.", ""]
    lines += ["`python run_scenarios.py evaluate SCENARIO --intervention NAME` gives the same three answers "
              "(naive, matched control, true counterfactual) for any cohort intervention; see "
              "`docs/sensitivity.md` for parameter uncertainty.", ""]
    return "\n".join(lines)

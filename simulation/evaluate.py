"""Evaluate an intervention as an analyst would, and as only a simulation can.

For a cohort intervention (telehealth, case management, ...) the people enrolled
in its first months are followed from the day each was enrolled (their *index
day*). Three answers are reported, in emergency admissions per person-year:

* **naive before/after**: the cohort's rate in the year after its index day
  minus its rate in the year before. Cohorts selected on high recent use fall
  back towards their usual level whatever is done (regression to the mean), so
  this overstates any effect.
* **matched control**: the same change in people drawn from the same simulated
  population who were never enrolled, matched exactly on age band, segment and
  admissions in the year before the index day (coarsened exact matching; the
  control change is the cohort-weighted mean of the strata's changes). The
  difference-in-differences, naive minus control change, is what a good
  observational evaluation would report.
* **true counterfactual**: the cohort's rate after its index day in the
  scenario minus the same people's rate over the same days in the paired
  baseline run (the same replication without the intervention: common random
  numbers, so the same people exist and the same things happen to them unless
  the intervention changes them).

The functions here work on arrays (admission person ids and days, index days)
so they can be tested without running the model; :func:`evaluate` runs the
scenario and its baseline and puts it together.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .population import YEAR_DAYS, age_band_of
from .scenario.schema import Scenario

#: prior-year admissions are matched exactly up to this many; more are one stratum
PRIOR_CAP = 4


def window_counts(persons: np.ndarray, days: np.ndarray, n: int, lo: float, hi: float) -> np.ndarray:
    """Admissions per person (ids 0..n-1) with an admission day in ``[lo, hi)``."""
    persons = np.asarray(persons, dtype=np.int64)
    days = np.asarray(days, dtype=float)
    keep = (days >= lo) & (days < hi) & (persons < n)
    return np.bincount(persons[keep], minlength=n)[:n]


def exposure_years(death_day: np.ndarray, lo: float, hi: float) -> np.ndarray:
    """Person-years at risk in ``[lo, hi)`` for people dying on `death_day` (inf if not)."""
    end = np.minimum(np.asarray(death_day, dtype=float), hi)
    return np.clip(end - lo, 0.0, None) / YEAR_DAYS


def rate(counts: np.ndarray, years: np.ndarray) -> float:
    """Admissions per person-year (NaN with no exposure)."""
    total = float(np.sum(years))
    return float(np.sum(counts)) / total if total > 0 else float("nan")


def strata(age_band: np.ndarray, segment: np.ndarray, prior: np.ndarray) -> np.ndarray:
    """One integer per person for (age band, segment, prior admissions capped at PRIOR_CAP)."""
    return (np.asarray(age_band, dtype=np.int64) * 100 + np.asarray(segment, dtype=np.int64) * 10
            + np.minimum(np.asarray(prior, dtype=np.int64), PRIOR_CAP))


def matched_change(case_strata: np.ndarray, ctrl_strata: np.ndarray, ctrl_before: np.ndarray,
                   ctrl_before_years: np.ndarray, ctrl_after: np.ndarray,
                   ctrl_after_years: np.ndarray) -> tuple[float, float, float, int]:
    """The controls' before and after rates, weighted to the cases' mix of strata.

    Returns ``(before rate, after rate, change, cases matched)``; cases in a
    stratum with no control are left out of the weights.
    """
    case_strata = np.asarray(case_strata)
    ctrl_strata = np.asarray(ctrl_strata)
    keys, case_n = np.unique(case_strata, return_counts=True)
    before = after = weight = 0.0
    for key, n in zip(keys, case_n):
        m = ctrl_strata == key
        if not m.any():
            continue
        rb = rate(ctrl_before[m], ctrl_before_years[m])
        ra = rate(ctrl_after[m], ctrl_after_years[m])
        if rb != rb or ra != ra:
            continue
        before += n * rb
        after += n * ra
        weight += n
    if weight == 0:
        return float("nan"), float("nan"), float("nan"), 0
    return before / weight, after / weight, (after - before) / weight, int(weight)


@dataclass
class RunView:
    """What the evaluation needs from one finished run."""

    adm_person: np.ndarray
    adm_day: np.ndarray
    #: day each person dies or leaves the place (inf if neither)
    death_day: np.ndarray
    birth_day: np.ndarray
    segment: np.ndarray
    arrive_day: np.ndarray
    end_day: float
    #: person -> first day enrolled (only for the evaluated intervention; empty for a baseline)
    first_enrolled: dict = field(default_factory=dict)
    ever_enrolled: np.ndarray | None = None

    @property
    def n(self) -> int:
        return int(self.death_day.shape[0])

    def present(self, day: float) -> np.ndarray:
        return (self.arrive_day <= day) & (self.death_day > day)


def view_of(eco, first_enrolled: dict | None = None, ever: set | None = None) -> RunView:
    """A :class:`RunView` of a finished :class:`~simulation.economy.Economy`."""
    adm = np.array([(p, start) for p, start, *_ in eco.admissions], dtype=float).reshape(-1, 2)
    # stays still open at the end count as admissions on their admission day
    if eco.open_stays:
        adm = np.vstack([adm, np.array(list(eco.open_stays.items()), dtype=float)])
    pop = eco.population
    n = pop.n
    cols = pop.cols
    # leaving the place by emigration ends follow-up as death does
    leave = np.minimum(np.asarray(cols.death_day[:n], dtype=float), np.asarray(cols.exit_day[:n], dtype=float))
    ever_arr = np.zeros(n, dtype=bool)
    if ever:
        ids = np.fromiter(ever, dtype=np.int64)
        ever_arr[ids[ids < n]] = True
    return RunView(adm_person=adm[:, 0].astype(np.int64), adm_day=adm[:, 1], death_day=leave, birth_day=np.asarray(cols.birth_day[:n], dtype=float),
        segment=np.asarray(cols.segment[:n]),
        arrive_day=np.asarray(cols.entry_day[:n], dtype=float), end_day=float(eco.end_day),
        first_enrolled=dict(first_enrolled or {}), ever_enrolled=ever_arr)


def cohort_index(first_enrolled: dict, start_day: float, months: float) -> dict[float, np.ndarray]:
    """Index day -> ids of people first enrolled on that day, within `months` of `start_day`."""
    by_day: dict[float, list[int]] = {}
    stop = start_day + months * YEAR_DAYS / 12.0
    for p, d in first_enrolled.items():
        if start_day - 1e-9 <= d < stop:
            by_day.setdefault(float(d), []).append(int(p))
    return {d: np.sort(np.array(ids, dtype=np.int64)) for d, ids in sorted(by_day.items())}


def evaluate_pair(scn: RunView, base: RunView, cohorts: dict[float, np.ndarray], *, min_prior: int = 0,
                  window_days: float = YEAR_DAYS) -> dict:
    """Naive, matched-control and true effects for cohorts (index day -> ids) of one paired replication."""
    tot = {k: 0.0 for k in ("cb", "cby", "ca", "cay", "ba", "bay", "ctrl_b", "ctrl_a", "ctrl_w")}
    n_cases = n_matched = n_controls = 0
    for day, ids in cohorts.items():
        lo, hi = max(0.0, day - window_days), min(scn.end_day, day + window_days)
        if hi <= day:
            continue
        prior = window_counts(scn.adm_person, scn.adm_day, scn.n, lo, day)
        after = window_counts(scn.adm_person, scn.adm_day, scn.n, day, hi)
        before_y = np.full(scn.n, (day - lo) / YEAR_DAYS)
        after_y = exposure_years(scn.death_day, day, hi)
        ids = ids[(ids < scn.n)]
        ids = ids[prior[ids] >= min_prior]
        if ids.size == 0:
            continue
        # the same people, the same days, in the baseline run
        b_after = window_counts(base.adm_person, base.adm_day, base.n, day, hi)
        b_after_y = exposure_years(base.death_day, day, hi)
        bids = ids[ids < base.n]
        age = (day - scn.birth_day) / YEAR_DAYS
        st = strata(age_band_of(np.maximum(age, 0.0)), scn.segment, prior)
        ctrl = scn.present(day) & (prior >= min_prior) & (age >= 0)
        if scn.ever_enrolled is not None:
            ctrl &= ~scn.ever_enrolled
        c_ids = np.flatnonzero(ctrl)
        rb, ra, _, matched = matched_change(st[ids], st[c_ids], prior[c_ids], before_y[c_ids], after[c_ids],
                                            after_y[c_ids])
        n_cases += ids.size
        n_matched += matched
        n_controls += c_ids.size
        tot["cb"] += prior[ids].sum()
        tot["cby"] += before_y[ids].sum()
        tot["ca"] += after[ids].sum()
        tot["cay"] += after_y[ids].sum()
        tot["ba"] += b_after[bids].sum()
        tot["bay"] += b_after_y[bids].sum()
        if matched:
            tot["ctrl_b"] += matched * rb
            tot["ctrl_a"] += matched * ra
            tot["ctrl_w"] += matched
    nan = float("nan")
    before = tot["cb"] / tot["cby"] if tot["cby"] else nan
    after = tot["ca"] / tot["cay"] if tot["cay"] else nan
    base_after = tot["ba"] / tot["bay"] if tot["bay"] else nan
    cb = tot["ctrl_b"] / tot["ctrl_w"] if tot["ctrl_w"] else nan
    ca = tot["ctrl_a"] / tot["ctrl_w"] if tot["ctrl_w"] else nan
    return {
        "cohort": n_cases, "matched": n_matched, "controls": n_controls,
        "cohort_before": before, "cohort_after": after, "naive_change": after - before,
        "control_before": cb, "control_after": ca, "control_change": ca - cb,
        "did": (after - before) - (ca - cb),
        "baseline_after": base_after, "true_effect": after - base_after,
        "naive_ratio": after / before if before else nan, "true_ratio": after / base_after if base_after else nan,
    }


#: rows of the evaluation table: key -> what it is
MEASURES = {
    "cohort": "people in the evaluated cohort",
    "matched": "cohort members with at least one matched control",
    "cohort_before": "cohort, year before index (admissions per person-year)",
    "cohort_after": "cohort, after index",
    "naive_change": "naive before/after change",
    "control_before": "matched controls, year before index",
    "control_after": "matched controls, after index",
    "control_change": "matched controls' change",
    "did": "difference-in-differences (naive - controls' change)",
    "baseline_after": "the same people after index in the baseline",
    "true_effect": "true counterfactual effect (scenario - baseline)",
    "naive_ratio": "naive ratio after/before",
    "true_ratio": "true ratio scenario/baseline",
}


def _intervention(scenario: Scenario, name: str):
    for it in scenario.interventions:
        if it.name == name:
            return it
    names = ", ".join(repr(it.name) for it in scenario.interventions) or "none"
    raise ValueError(f"scenario {scenario.name!r} has no intervention named {name!r} (it has: {names})")


def check_evaluable(scenario: Scenario, name: str) -> None:
    """Raise ValueError (one line) unless `name` is a cohort intervention of `scenario`."""
    from .scenario.interventions import COHORT_TYPES

    it = _intervention(scenario, name)
    if it.type not in COHORT_TYPES:
        raise ValueError(f"intervention {name!r} is of type {it.type}, which enrols no cohort; evaluation needs "
                         f"one of: {', '.join(sorted(COHORT_TYPES))}")


def without(scenario: Scenario, name: str) -> Scenario:
    """The scenario without intervention `name` (its paired baseline)."""
    items = [it.model_dump() for it in scenario.interventions if it.name != name]
    return Scenario.model_validate({**scenario.model_dump(), "interventions": items,
                                    "name": f"{scenario.name} without {name}"})


def run_recording(scenario: Scenario, replication: int, name: str | None = None):
    """Run one replication, recording each person's first enrolment day in intervention `name`."""
    from .economy import Economy

    eco = Economy(scenario, replication)
    first: dict[int, float] = {}
    if name is not None:
        rt = eco.interventions
        original = rt.update

        def update(day: float) -> None:
            original(day)
            for p in rt.enrolled.get(name, ()).tolist():
                first.setdefault(p, day)

        rt.update = update  # an instance attribute: this run only
    eco.run()
    return view_of(eco, first, set(first))


def evaluate(scenario: Scenario, name: str, *, replications: int | None = None, cohort_months: float = 12.0,
             min_prior: int = 0, window_days: float = YEAR_DAYS) -> pd.DataFrame:
    """Run `scenario` and its baseline (paired replications) and evaluate intervention `name`.

    The cohort is everyone first enrolled within `cohort_months` of the
    intervention's start (or of the first day of the run, if it started
    earlier), each from their own enrolment day; `min_prior` keeps only people
    (cases and controls alike) with at least that many admissions in the year
    before. Returns one row per replication and measure, plus the mean and
    95% CI over replications in rows with ``replication == "all"``.
    """
    from .analysis import mean_ci
    from .economy import Economy

    check_evaluable(scenario, name)
    it = _intervention(scenario, name)
    base_sc = without(scenario, name)
    reps = scenario.run.replications if replications is None else replications
    rows = []
    for rep in range(reps):
        scn = run_recording(scenario, rep, name)
        base = view_of(Economy(base_sc, rep).run())
        start_day = _day_of(scenario, it.start)
        cohorts = cohort_index(scn.first_enrolled, start_day, cohort_months)
        res = evaluate_pair(scn, base, cohorts, min_prior=min_prior, window_days=window_days)
        rows += [{"replication": rep, "measure": k, "value": float(v)} for k, v in res.items()]
    table = pd.DataFrame(rows)
    out = []
    for measure in MEASURES:
        values = table.loc[table["measure"] == measure, "value"].to_numpy()
        mean, lo, hi = mean_ci(values) if len(values) > 1 else (float(values.mean()), float("nan"), float("nan"))
        out.append({"replication": "all", "measure": measure, "value": mean, "ci_low": lo, "ci_high": hi})
    return pd.concat([table.assign(replication=table["replication"].astype(str)), pd.DataFrame(out)],
                     ignore_index=True)


def _day_of(scenario: Scenario, date) -> float:
    """Simulation day of a calendar date (day 0 = the first day of the warm-up)."""
    warmup = round(scenario.run.warmup_years * YEAR_DAYS)
    return max(0.0, float((date - scenario.run.start_date).days + warmup))


def evaluation_text(table: pd.DataFrame, scenario: Scenario, name: str) -> str:
    """A short text report of :func:`evaluate`'s table."""
    rows = table[table["replication"] == "all"].set_index("measure")
    reps = int((table["replication"] != "all").sum() / len(MEASURES))

    def cell(m: str, fmt: str = "{:+.3f}") -> str:
        r = rows.loc[m]
        text = fmt.format(r["value"])
        if r["ci_low"] == r["ci_low"]:
            text += f" [{fmt.format(r['ci_low'])}, {fmt.format(r['ci_high'])}]"
        return text

    lines = [f"Evaluation of {name!r} in {scenario.name!r}: {reps} paired replication(s), "
             f"{scenario.population.size:,} people; emergency admissions per person-year, mean [95% CI]",
             f"  cohort: {rows.loc['cohort', 'value']:,.0f} people a replication "
             f"({rows.loc['matched', 'value']:,.0f} with matched controls)"]
    for m in ("cohort_before", "cohort_after", "naive_change", "control_before", "control_after", "control_change",
              "did", "baseline_after", "true_effect"):
        fmt = "{:.3f}" if m.endswith(("before", "after")) else "{:+.3f}"
        lines.append(f"  {MEASURES[m]:<58}{cell(m, fmt)}")
    return "\n".join(lines)

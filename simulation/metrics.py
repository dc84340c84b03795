"""From a finished economy to run tables: one value per metric and reporting year.

Every metric is declared once in :data:`METRICS` with its unit, its kind and
a sentence on its meaning; ``docs/outputs.md`` is generated from that registry
and a test keeps the two in step. Year ``all`` is the whole horizon: the total
for counts, the pooled ratio for shares and rates, the time-weighted mean for
levels.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .economy import Economy
from .interventions import INTERVENTION_OUTPUTS, intervention_key  # noqa: F401 (re-exported)
from .money import ORG_IN_TEXT, ORGANISATIONS, VIEWS, run_money
from .scenario.fields import AGE_BANDS, SEGMENTS


@dataclass(frozen=True)
class Metric:
    """A reported quantity."""

    unit: str
    kind: str  # count | share | level | rate
    description: str
    group: str = "activity"


M = Metric
POOL_SERVICES = {
    "nhs111": "NHS 111 call handlers",
    "ambulance": "ambulance crews",
    "ae": "A&E cubicles",
    "acute": "acute beds",
    "reablement": "reablement places",
    "intermediate_care": "intermediate-care beds",
    "home_care": "home-care packages",
    "care_homes": "care-home beds",
    "community_nursing": "community nursing caseload places",
}
SLOT_SERVICES = {"gp": "same-day GP slots", "ucr": "2-hour response visits"}

METRICS: dict[str, Metric] = {
    # population
    "population": M("people", "level", "People living in the place at mid-year.", "population"),
    "population_65plus": M("people", "level", "People aged 65 and over at mid-year.", "population"),
    "population_85plus": M("people", "level", "People aged 85 and over at mid-year.", "population"),
    **{f"population_{b}": M("people", "level", f"People in age band {b[4:].replace('_', '-')} at mid-year.",
                            "population") for b in AGE_BANDS},
    **{f"population_segment_{s}": M("people", "level", f"People in the {s.replace('_', ' ')} segment at mid-year.",
                                    "population") for s in SEGMENTS},
    "deaths": M("deaths", "count", "Deaths of residents in the year.", "people"),
    "deaths_in_hospital_share": M("share", "share", "Share of deaths that happen in hospital.", "people"),
    "deaths_at_home_share": M("share", "share", "Share of deaths that happen at home.", "people"),
    "deaths_in_care_home_share": M("share", "share", "Share of deaths that happen in a care home.", "people"),
    "deaths_hospice_other_share": M("share", "share", "Share of deaths in a hospice or elsewhere.", "people"),
    # activity
    "crises": M("crises", "count", "Crises: acute needs that led to an urgent contact (including terminal and "
                "post-discharge ones)."),
    "gp_urgent_contacts": M("contacts", "count", "Same-day urgent GP contacts for crises."),
    "gp_slots_refused": M("requests", "count", "Requests for a same-day GP slot when none was left (or closed)."),
    "calls_111": M("calls", "count", "NHS 111 calls for crises."),
    "ambulance_incidents": M("incidents", "count", "Ambulance incidents (hear-and-treat, see-and-treat, conveyed)."),
    "ambulance_conveyances": M("conveyances", "count", "Ambulance incidents conveyed to A&E."),
    "ambulance_conveyance_share": M("share", "share", "Conveyed share of face-to-face ambulance incidents."),
    "ambulance_incidents_per_1000": M("per 1,000 people", "rate", "Ambulance incidents per 1,000 residents a year."),
    "ucr_visits": M("visits", "count", "Urgent community (2-hour) response visits."),
    "ae_attendances": M("attendances", "count", "Type 1 A&E attendances."),
    "ae_attendances_per_1000": M("per 1,000 people", "rate", "A&E attendances per 1,000 residents a year."),
    "ae_arrivals_by_ambulance_share": M("share", "share", "Share of A&E attendances arriving by ambulance."),
    "ae_admission_conversion": M("share", "share", "Share of A&E attendances admitted."),
    "ae_4h_performance": M("share", "share", "Share of A&E attendances that left within 4 hours of arrival.",
                           "capacity"),
    "ae_12h_waits": M("attendances", "count", "A&E attendances that spent more than 12 hours in the department.",
                      "capacity"),
    "emergency_admissions": M("admissions", "count", "Emergency admissions (via A&E, GP direct, terminal)."),
    "emergency_admissions_per_1000": M("per 1,000 people", "rate",
                                       "Emergency admissions per 1,000 residents a year."),
    "zero_day_admissions": M("admissions", "count", "Emergency admissions discharged the same day."),
    "zero_day_share": M("share", "share", "Zero-day share of emergency admissions (by discharge year)."),
    "mean_los_overnight_days": M("days", "rate", "Mean length of stay of overnight emergency admissions "
                                 "(admission to leaving, by discharge year)."),
    "readmissions_30d": M("admissions", "count", "Emergency admissions within 30 days of a discharge."),
    "readmission_rate_30d": M("share", "share", "30-day readmissions per emergency admission."),
    "bed_days": M("bed days", "count", "Acute bed days used (time-weighted occupancy x days)."),
    "bed_occupancy_mean": M("share", "share", "Mean share of acute beds occupied (time-weighted).", "capacity"),
    "days_occupancy_above_92pct": M("days", "count", "Days when midnight acute occupancy was above 92% of beds.",
                                    "capacity"),
    "delayed_discharge_bed_days": M("bed days", "count", "Bed days of medically fit patients waiting to leave.",
                                    "capacity"),
    "delayed_discharge_beds_share": M("share", "share", "Mean share of acute beds held by medically fit patients.",
                                      "capacity"),
    "reablement_episodes": M("episodes", "count", "Reablement episodes started.", "people"),
    "reablement_no_further_support_share": M("share", "share", "Share of reablement episodes ending with no "
                                             "further support (ASCOF 2D).", "people"),
    "at_home_91d_after_reablement_share": M("share", "share", "Share of people discharged from hospital into "
                                            "reablement who are at home 91 days later (ASCOF 2B(1)).", "people"),
    "care_home_admissions_permanent": M("admissions", "count", "Permanent care-home admissions.", "people"),
    "care_home_admissions_per_100k_65plus": M("per 100,000 aged 65+", "rate",
                                              "Permanent care-home admissions per 100,000 people aged 65+ (ASCOF 2A).",
                                              "people"),
    "days_at_home_per_person_65plus": M("days", "level", "Days a year that a person aged 65+ spends neither in an "
                                        "acute bed nor in a care home.", "people"),
    **{f"{svc}_in_use_mean": M("places", "level", f"Mean {what} in use (time-weighted).", "capacity")
       for svc, what in POOL_SERVICES.items()},
    **{f"{svc}_occupancy_mean": M("share", "share", f"Mean share of {what} in use (empty when unlimited).",
                                  "capacity") for svc, what in POOL_SERVICES.items()},
    **{f"{svc}_wait_mean_hours": M("hours", "rate", f"Mean wait for {what}, over everyone who started.",
                                   "capacity") for svc, what in POOL_SERVICES.items()},
    **{f"{svc}_slot_utilisation": M("share", "share", f"Share of {what} offered that were used (empty when "
                                    "unlimited).", "capacity") for svc, what in SLOT_SERVICES.items()},
    **{f"delayed_days_{what}": M("bed days", "count", f"Bed days of medically fit patients waiting for {text}.",
                                 "capacity")
       for what, text in (("arranging", "their care to be arranged (assessment, package or placement set-up)"),
                          ("reablement", "a reablement place"), ("home_care", "a home-care package"),
                          ("community_nursing", "a community nursing caseload place"),
                          ("intermediate_care", "an intermediate-care bed"), ("care_homes", "a care-home bed"),
                          ("weekend", "a weekday discharge"))},
    "crises_avoided": M("crises", "count", "Crises that the baseline would have had and interventions' lower "
                        "hazards removed (thinning, same random numbers).", "activity"),
    "crises_added": M("crises", "count", "Crises added by interventions that raise hazards.", "activity"),
    "ucr_refused": M("requests", "count", "Requests for a 2-hour response visit when none was left that day.",
                     "capacity"),
    "community_nursing_visits": M("visits", "count", "Community nursing visits to people on the caseload.",
                                  "activity"),
    # money (simulation/money.py, docs/money.md): pounds in the scenario's price base year
    **{f"cost_{o}": M("£", "count", f"Economic cost borne by {ORG_IN_TEXT[o]}: resources used, valued at "
                      "average unit costs (money.unit_costs) uprated to the price base.", "money")
       for o in ORGANISATIONS},
    "cost_total": M("£", "count", "Economic cost borne by all organisations (the sum of `cost_<org>`).", "money"),
    **{f"investment_{o}": M("£", "count", f"Investment in the scenario's interventions funded by "
                            f"{ORG_IN_TEXT[o]} (set-up, running cost by maturity, double running, per use).",
                            "money") for o in ORGANISATIONS},
    "investment_total": M("£", "count", "Investment by all organisations (the sum of `investment_<org>`).", "money"),
}

#: Money metrics computed when a batch is summarised (they need the baseline's runs): added to every run in
#: summary.csv and comparison.csv, not stored in metrics.parquet. ``<view>`` is tariff, block or pooled; the
#: plain ``payment_<org>`` and ``net_cost_<org>`` follow the scenario's own contracts (money.contracts).
VIEW_TEXT = {"contracts": "under the scenario's contracts (money.contracts)", "tariff": "if every NHS contract "
             "were an activity tariff", "block": "if every NHS contract were a block",
             "pooled": "if every NHS contract were in the pooled budget (money.pool)"}
BATCH_METRICS: dict[str, Metric] = {
    **{f"cost_cash_{o}": M("£", "count", f"Cash cost borne by {ORG_IN_TEXT[o]}: fixed costs stay at the "
                           "baseline's expected level unless capacity changes; the marginal share of each unit "
                           "cost moves with activity.", "money") for o in ORGANISATIONS},
    "cost_cash_total": M("£", "count", "Cash cost of all organisations (the sum of `cost_cash_<org>`).", "money"),
    **{(f"payment_{o}" if v == "contracts" else f"payment_{v}_{o}"): M(
        "£", "count", f"Money received (+) or paid (-) by {ORG_IN_TEXT[o]}, {VIEW_TEXT[v]}; sums to 0 "
        "over the organisations.", "money") for v in VIEWS for o in ORGANISATIONS},
    **{(f"net_cost_{o}" if v == "contracts" else f"net_cost_{v}_{o}"): M(
        "£", "count", f"Net cost to {ORG_IN_TEXT[o]}, {VIEW_TEXT[v]}: cash cost + investment - payment "
        "received.", "money") for v in VIEWS for o in ORGANISATIONS},
    "net_cost_total": M("£", "count", "Net cost to all organisations: cash cost + investment (the same under "
                        "every payment model).", "money"),
}


def _years(eco: Economy) -> list:
    return list(range(1, eco.periods.years + 1))


def run_metrics(eco: Economy) -> pd.DataFrame:
    """Long table ``metric, year, value`` of one finished replication (year 1..H and 'all')."""
    H = eco.periods.years
    rows: list[tuple[str, object, float]] = []

    def emit(name: str, yearly: np.ndarray, total: float) -> None:
        for k in range(1, H + 1):
            rows.append((name, k, float(yearly[k])))
        rows.append((name, "all", float(total)))

    def count(name: str, values) -> None:
        v = np.asarray(values, dtype=float)
        emit(name, v, v[1:].sum())

    def ratio(name: str, num, den, scale: float = 1.0) -> None:
        num = np.asarray(num, dtype=float)
        den = np.asarray(den, dtype=float)
        with np.errstate(invalid="ignore", divide="ignore"):
            yearly = np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan) * scale
            total = num[1:].sum() / den[1:].sum() * scale if den[1:].sum() > 0 else np.nan
        emit(name, yearly, total)

    def level(name: str, values) -> None:
        v = np.asarray(values, dtype=float)
        emit(name, v, float(np.mean(v[1:])))

    t = eco.tally
    # population at mid-year
    mids = [eco.periods.warmup + 365.0 * (k - 1) + 182.5 for k in range(1, H + 1)]
    counts = [eco.population.counts(d) for d in mids]
    for key in counts[0]:
        level(key, [np.nan] + [c[key] for c in counts])
    pop = np.array([np.nan] + [c["population"] for c in counts])
    pop65 = np.array([np.nan] + [c["population_65plus"] for c in counts])

    deaths = t("deaths")
    count("deaths", deaths)
    ratio("deaths_in_hospital_share", t("deaths_hospital"), deaths)
    ratio("deaths_at_home_share", t("deaths_home"), deaths)
    ratio("deaths_in_care_home_share", t("deaths_care_home"), deaths)
    ratio("deaths_hospice_other_share", t("deaths_hospice_other"), deaths)

    for name in ("crises", "gp_urgent_contacts", "calls_111", "ambulance_incidents", "ambulance_conveyances",
                 "ucr_visits", "ae_attendances", "emergency_admissions", "zero_day_admissions", "readmissions_30d",
                 "reablement_episodes", "care_home_admissions_permanent"):
        count(name, t(name))
    count("gp_slots_refused", eco.gp_slots.refused)
    ratio("ambulance_conveyance_share", t("ambulance_conveyances"),
          t("ambulance_incidents") - t("ambulance_hear_and_treat"))
    ratio("ambulance_incidents_per_1000", t("ambulance_incidents"), pop, 1000.0)
    ratio("ae_attendances_per_1000", t("ae_attendances"), pop, 1000.0)
    ratio("emergency_admissions_per_1000", t("emergency_admissions"), pop, 1000.0)
    ratio("ae_arrivals_by_ambulance_share", t("ae_arrivals_by_ambulance"), t("ae_attendances"))
    ratio("ae_admission_conversion", t("ae_admitted"), t("ae_attendances"))
    ae = np.asarray(eco.ae_visits)
    ratio("ae_4h_performance", ae[:, 1], ae[:, 0])
    count("ae_12h_waits", ae[:, 2])
    ratio("readmission_rate_30d", t("readmissions_30d"), t("emergency_admissions"))

    adm = admissions_table(eco)
    k_dis = np.array([eco.periods.of(d) for d in adm["left_day"]], dtype=int) if len(adm) else np.zeros(0, int)
    n_dis = np.bincount(k_dis, minlength=H + 1)[: H + 1]
    n_zero = np.bincount(k_dis, weights=adm["zero_day"].to_numpy(float), minlength=H + 1)[: H + 1]
    overnight = ~adm["zero_day"].to_numpy(bool) if len(adm) else np.zeros(0, bool)
    los = (adm["left_day"] - adm["admitted_day"]).to_numpy(float)
    n_over = np.bincount(k_dis[overnight], minlength=H + 1)[: H + 1]
    los_over = np.bincount(k_dis[overnight], weights=los[overnight], minlength=H + 1)[: H + 1]
    ratio("zero_day_share", n_zero, n_dis)
    ratio("mean_los_overnight_days", los_over, n_over)

    beds = eco.beds
    bed_area = np.asarray(beds.busy.area)
    count("bed_days", bed_area)
    days = np.array([eco.periods.length(k) for k in range(H + 1)])
    if not beds.ever_unlimited:
        bed_days_offered = np.asarray(beds.offered.area)
        ratio("bed_occupancy_mean", bed_area, bed_days_offered)
        ratio("delayed_discharge_beds_share", eco.delayed.area, bed_days_offered)
        census = eco.census["beds_occupied"]
        capacity = eco.census["beds_capacity"]
        above = np.zeros(H + 1)
        for day in np.flatnonzero(census > 0.92 * capacity):
            above[eco.periods.of(float(day))] += 1
        count("days_occupancy_above_92pct", above)
    else:
        for name in ("bed_occupancy_mean", "delayed_discharge_beds_share", "days_occupancy_above_92pct"):
            emit(name, np.full(H + 1, np.nan), np.nan)
    count("delayed_discharge_bed_days", eco.delayed.area)

    ratio("reablement_no_further_support_share", t("reablement_outcome_no_further_support"),
          sum(t(f"reablement_outcome_{o}") for o in ("no_further_support", "home_care", "care_home", "hospital")))
    home = np.asarray(eco.at_home_checks)
    ratio("at_home_91d_after_reablement_share", home[:, 1], home[:, 0])
    ratio("care_home_admissions_per_100k_65plus", t("care_home_admissions_permanent"), pop65, 100_000.0)
    away = np.asarray(eco.in_hospital_65.area) + np.asarray(eco.care_homes.busy.area)
    with np.errstate(invalid="ignore", divide="ignore"):
        at_home = days - away / pop65
    level("days_at_home_per_person_65plus", at_home)

    count("ucr_refused", eco.ucr_slots.refused)
    for what, monitor in eco.delayed_by.items():
        count(f"delayed_days_{what}", monitor.area)
    count("community_nursing_visits", t("community_nursing_visits"))
    for name, slots in eco.slot_services.items():
        offered = np.asarray(slots.available())
        if np.isfinite(offered).all():
            ratio(f"{name}_slot_utilisation", slots.used, offered)
        else:
            emit(f"{name}_slot_utilisation", np.full(H + 1, np.nan), np.nan)
    for pool in eco.pools:
        area = np.asarray(pool.busy.area)
        level(f"{pool.name}_in_use_mean", area / days)
        if not pool.ever_unlimited:
            ratio(f"{pool.name}_occupancy_mean", area, pool.offered.area)
        else:
            emit(f"{pool.name}_occupancy_mean", np.full(H + 1, np.nan), np.nan)
        ratio(f"{pool.name}_wait_mean_hours", pool.waits, pool.starts, 24.0)

    count("crises_avoided", t("crises_avoided"))
    count("crises_added", t("crises_added"))
    eco.interventions.emit_metrics(count, level)

    table = pd.DataFrame(rows, columns=["metric", "year", "value"])
    table = pd.concat([table, run_money(table, eco.scenario)], ignore_index=True)
    table["year"] = table["year"].astype(object)
    return table


def admissions_table(eco: Economy) -> pd.DataFrame:
    """One row per emergency admission that ended (alive or dead) during the run."""
    return pd.DataFrame(eco.admissions, columns=["person", "admitted_day", "fit_day", "left_day", "zero_day",
                                                 "destination"])


def daily_table(eco: Economy) -> pd.DataFrame:
    """Midnight census of each day of the run, including the warm-up (day 0 = its first day)."""
    df = pd.DataFrame({name: values for name, values in eco.census.items()})
    df.insert(0, "day", np.arange(df.shape[0]))
    df.insert(1, "year", [eco.periods.of(float(d)) for d in range(df.shape[0])])
    return df


GROUP_TITLES = {"population": "Population", "activity": "Activity", "capacity": "Capacity and waits",
                "people": "People's outcomes", "money": "Money (each run)"}


def outputs_markdown() -> str:
    """``docs/outputs.md``: every metric with its unit and meaning, by group (generated)."""
    lines = [
        "# Outputs",
        "",
        "<!-- Generated by `python -m simulation.scenario.document` from simulation/metrics.py; do not edit. -->",
        "",
        "Every batch writes `summary.csv` (columns `scenario, metric, year, mean, ci_low, ci_high, replications`)",
        "and `comparison.csv` (each scenario minus the baseline, paired on replication: `baseline_mean,",
        "scenario_mean, diff_mean, diff_ci_low, diff_ci_high, pct_change, replications`). `year` is 1..N, the",
        "years after the warm-up, or `all` for the whole horizon: the total for counts, the pooled ratio for",
        "shares and rates, the mean of the yearly values for levels. Intervals are 95% Student t intervals",
        "across replications. Shares are fractions (0.9 = 90%).",
        "",
    ]
    for group, title in GROUP_TITLES.items():
        lines += [f"## {title}", "", "| metric | unit | kind | meaning |", "|---|---|---|---|"]
        for name, m in METRICS.items():
            if m.group == group:
                lines.append(f"| `{name}` | {m.unit} | {m.kind} | {m.description} |")
        lines.append("")
    lines += [
        "## Money computed for a batch (it needs the baseline's runs)",
        "",
        "Computed when a batch is summarised, because the contract sums (block amounts, pooled budgets, the",
        "tariff's spell price) and the fixed costs of the cash view are set from the baseline's expected activity.",
        "They are in `summary.csv` and `comparison.csv` like every other metric, not in `metrics.parquet`.",
        "`<org>` is one of " + ", ".join(f"`{o}`" for o in ORGANISATIONS) + "; `<view>` is `tariff`, `block`",
        "or `pooled` (every NHS contract paid that way); the plain names follow the scenario's own contracts",
        "(`money.contracts`). Pounds are in the scenario's price base (`money.price_base_year`). See",
        "`docs/money.md`.",
        "",
        "| metric | unit | kind | meaning |",
        "|---|---|---|---|",
    ]
    patterns = {
        "cost_cash_<org>": BATCH_METRICS["cost_cash_icb"].description.replace("the ICB", "the organisation"),
        "cost_cash_total": BATCH_METRICS["cost_cash_total"].description,
        "payment_<org>": BATCH_METRICS["payment_icb"].description.replace("the ICB", "the organisation"),
        "payment_<view>_<org>": "The same if every NHS contract were paid by that model.",
        "net_cost_<org>": BATCH_METRICS["net_cost_icb"].description.replace("the ICB", "the organisation"),
        "net_cost_<view>_<org>": "The same if every NHS contract were paid by that model.",
        "net_cost_total": BATCH_METRICS["net_cost_total"].description,
    }
    lines += [f"| `{name}` | £ | count | {text} |" for name, text in patterns.items()]
    lines += [
        "",
        "`money.csv` holds money against the baseline, paired on replication, with 95% t intervals across",
        "replications: columns `scenario, view, organisation, measure, year, mean, ci_low, ci_high,",
        "replications`. `organisation` is an organisation or `total` (all of them). A positive net cost change",
        "costs the organisation money; a positive net benefit saves it money.",
        "",
        "| measure | views | unit | meaning |",
        "|---|---|---|---|",
        "| `net_cost_change` | economic, contracts, tariff, block, pooled | £ | Change in net cost, by year and "
        "`all` (the horizon's total): economic = economic cost + investment; the others = cash cost + investment "
        "- payment received under that view. |",
        "| `cumulative_net_benefit` | as above | £ | Minus the net cost change, discounted at "
        "`money.discount_rate_pct` (year 1 undiscounted), added up to each year. |",
        "| `npv` | as above | £ | Net present value of the net benefit over the horizon (`all`). |",
        "| `break_even_year` | as above | year | First year from which the mean cumulative net benefit stays at or "
        "above 0; empty if it ends below 0 (no interval). |",
        "| `break_even_share` | as above | share | Share of replications whose own cumulative net benefit breaks "
        "even by the end. |",
        "| `saving_cash_releasing` | savings | £ | Fall in cash cost (marginal cost of activity avoided, and fixed "
        "costs of capacity closed), by year and `all`. |",
        "| `saving_non_cash_releasing` | savings | £ | Fall in economic cost not released as cash (capacity freed "
        "but still paid for). |",
        "| `investment` | investment | £ | Change in investment (the baseline has none unless it has "
        "interventions). |",
        "| `roi` | economic, cash | ratio | (discounted savings - discounted investment) / discounted investment, "
        "all organisations; Fieller interval. |",
        "| `admissions_avoided`, `bed_days_released` | activity | admissions, bed days | Paired fall in "
        "`emergency_admissions` and `bed_days` over the horizon. |",
        "| `investment_per_admission_avoided`, `investment_per_bed_day_released` | activity | £ per admission, £ "
        "per bed day | Undiscounted investment over the horizon / the fall above (ratio of means, Fieller "
        "interval). |",
        "",
    ]
    lines += [
        "## Interventions",
        "",
        "For each intervention of a scenario (its name in lowercase with `_` for other characters):",
        "",
        "| metric | unit | kind | meaning |",
        "|---|---|---|---|",
        *[f"| `intervention_<name>_{suffix}` | {unit} | {kind} | {meaning} |"
          for suffix, (unit, kind, meaning) in INTERVENTION_OUTPUTS.items()],
        "",
        "Admissions avoided, bed days released and other effects are the paired differences from the baseline in "
        "`comparison.csv`.",
        "",
        "## Per-run files",
        "",
        "`<scenario>/rep=<k>/daily.parquet` holds the midnight census of every day of the run, warm-up included",
        "(`day` 0 is the first day of the warm-up; `year` 0 is the warm-up): `beds_occupied`, `delayed` (medically",
        "fit patients still in an acute bed), `ae_occupied`, `reablement`, `home_care`, `care_homes`.",
        "`run.json` records the replication, seed, wall seconds, logical events and the run's invariants "
        "(conservation and Little's law; `docs/validation.md`).",
        "",
    ]
    return "\n".join(lines)

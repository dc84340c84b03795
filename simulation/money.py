"""Money: costs by organisation, payment models, who invests and who saves.

Everything here is a pure function of a run's metrics table (activity counts and
levels by year) and the resolved scenario; nothing is drawn at random. Three layers:

1. **Per run** (:func:`run_money`, called at the end of
   :func:`simulation.metrics.run_metrics`): the *economic cost* each organisation
   bears (resources used, valued at average unit costs uprated to one price base)
   and the *investment* each organisation makes in the scenario's interventions.
2. **Per run, against the baseline** (:func:`derive_batch`, when a batch is
   summarised): the *cash cost* (fixed costs stay at the baseline's level unless
   capacity changes; only the marginal share moves with activity), and the money
   that flows between the commissioner and the providers under every payment
   model: the scenario's own contracts, all-tariff, all-block and all-pooled. The
   contract sums (block amounts, pooled budgets, the tariff's spell price) are set
   from the baseline's expected activity, as a contract would be agreed in advance.
3. **Incremental** (:func:`incremental`): paired differences from the baseline by
   organisation and year, NPV, cumulative net benefit, break-even year, return on
   investment and cost per admission avoided or bed day released (``money.csv``).

See ``docs/money.md`` for the rules and a worked example.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .analysis import break_even_year, discount_factors, mean_ci, ratio_ci
from .scenario.interventions import CAPACITY_SERVICES, ORGANISATIONS
from .scenario.money import MoneySettings

__all__ = [
    "ORGANISATIONS", "ORG_LABELS", "ORG_IN_TEXT", "NHS_PROVIDERS", "ITEMS", "VIEWS", "uprate_factor", "unit_values", "activity",
    "item_costs", "capacity_by_year", "investment_by_year", "run_money", "derive_batch", "incremental",
]

NHS_PROVIDERS = ("acute_trust", "community_provider", "primary_care", "ambulance_trust")
#: How the organisations are named in documents, tables and figures.
ORG_LABELS = {
    "acute_trust": "Acute trust",
    "community_provider": "Community provider",
    "primary_care": "Primary care",
    "ambulance_trust": "Ambulance trust (999 and 111)",
    "icb": "ICB (commissioner)",
    "local_authority": "Local authority (social care)",
    "self_funders": "Self-funders",
    "total": "All organisations",
}
#: The same inside a sentence.
ORG_IN_TEXT = {
    "acute_trust": "the acute trust",
    "community_provider": "the community provider",
    "primary_care": "primary care",
    "ambulance_trust": "the ambulance trust",
    "icb": "the ICB",
    "local_authority": "the local authority",
    "self_funders": "self-funders",
    "total": "all organisations",
}
#: Organisations that can be members of a pooled budget (self-funders never are).
POOL_MEMBERS = ("icb",) + NHS_PROVIDERS + ("local_authority",)
#: Payment views reported for every run: the scenario's contracts, then each model for every contract.
VIEWS = ("contracts", "tariff", "block", "pooled")
YEAR_DAYS = 365.0
WEEKS_PER_YEAR = YEAR_DAYS / 7.0
MONTH_DAYS = YEAR_DAYS / 12.0
#: intervention types whose per-use charge falls back to the people enrolled (person-years)
COHORT_TYPES = ("telehealth", "case_management", "telecare", "self_management")


@dataclass(frozen=True)
class Item:
    """A costed activity: its unit, what it is counted from, the capacity it uses and how a tariff pays it."""

    unit: str
    counted: str
    service: str | None  # capacity service (a key of CAPACITY_SERVICES), None when not capacity-bound
    tariff: str = "unit"  # unit: paid per unit | spell: per admission at the spell price | in_spell: not apart


ITEMS: dict[str, Item] = {
    "gp_urgent_contact": Item("contact", "gp_urgent_contacts", "gp"),
    "nhs111_call": Item("call", "calls_111", "nhs111"),
    "ambulance_incident": Item("incident", "ambulance_incidents", "ambulance"),
    "ucr_visit": Item("visit", "ucr_visits", "ucr"),
    "community_nursing_visit": Item("visit", "community_nursing_visits", "community_nursing"),
    "ae_attendance_not_admitted": Item("attendance", "ae_attendances x (1 - ae_admission_conversion)", "ae"),
    "ae_attendance_admitted": Item("attendance", "ae_attendances x ae_admission_conversion", "ae"),
    "emergency_admission": Item("admission", "emergency_admissions", None, "spell"),
    "acute_bed_day": Item("bed day", "bed_days", "acute", "in_spell"),
    "reablement_episode": Item("episode", "reablement_episodes", "reablement"),
    "intermediate_care_bed_day": Item("bed day", "intermediate_care_in_use_mean x 365", "intermediate_care"),
    "home_care_hour": Item("hour", "home_care_in_use_mean x 365/7 x home_care_hours_per_week", "home_care"),
    "care_home_week": Item("resident week", "care_homes_in_use_mean x 365/7", "care_homes"),
}


# --- prices -------------------------------------------------------------------------------------


def index_value(year: int, money: MoneySettings) -> float:
    """The price index in financial year `year`, extrapolated at ``index_growth_beyond_pct`` outside the table."""
    table = money.price_index.years()
    first, last = min(table), max(table)
    g = 1.0 + money.index_growth_beyond_pct / 100.0
    if year < first:
        return table[first] / g ** (first - year)
    if year > last:
        return table[last] * g ** (year - last)
    return table[year]


def uprate_factor(price_year: int, money: MoneySettings) -> float:
    """Multiplier from prices of `price_year` to the price base year."""
    return index_value(money.price_base_year, money) / index_value(price_year, money)


def unit_values(money: MoneySettings) -> pd.DataFrame:
    """One row per item: uprated ``value``, ``marginal_share``, ``borne_by``, ``self_funded_share``."""
    rows = {}
    for name in ITEMS:
        c = getattr(money.unit_costs, name)
        rows[name] = {"value": c.value * uprate_factor(c.price_year, money), "marginal_share": c.marginal_share,
                      "borne_by": c.borne_by, "self_funded_share": c.self_funded_share}
    return pd.DataFrame.from_dict(rows, orient="index")


def bearer_matrix(money: MoneySettings) -> pd.DataFrame:
    """Items x organisations: the share of each item's cost each organisation bears (rows sum to 1)."""
    u = unit_values(money)
    out = pd.DataFrame(0.0, index=list(ITEMS), columns=list(ORGANISATIONS))
    for name, r in u.iterrows():
        out.loc[name, r["borne_by"]] += 1.0 - r["self_funded_share"]
        out.loc[name, "self_funders"] += r["self_funded_share"]
    return out


# --- activity -----------------------------------------------------------------------------------


def activity(wide: pd.DataFrame, money: MoneySettings) -> pd.DataFrame:
    """Activity of every item from a wide metrics frame (one row per year or per (replication, year)).

    Missing metrics count as 0 (a metric that is NaN in a year, e.g. a ratio with nothing to divide, too).
    """
    def g(name: str) -> pd.Series:
        if name in wide.columns:
            return pd.to_numeric(wide[name], errors="coerce").astype(float).fillna(0.0)
        return pd.Series(0.0, index=wide.index)

    ae, conv = g("ae_attendances"), g("ae_admission_conversion")
    admitted = ae * conv
    out = pd.DataFrame({
        "gp_urgent_contact": g("gp_urgent_contacts"),
        "nhs111_call": g("calls_111"),
        "ambulance_incident": g("ambulance_incidents"),
        "ucr_visit": g("ucr_visits"),
        "community_nursing_visit": g("community_nursing_visits"),
        "ae_attendance_not_admitted": ae - admitted,
        "ae_attendance_admitted": admitted,
        "emergency_admission": g("emergency_admissions"),
        "acute_bed_day": g("bed_days"),
        "reablement_episode": g("reablement_episodes"),
        "intermediate_care_bed_day": g("intermediate_care_in_use_mean") * YEAR_DAYS,
        "home_care_hour": g("home_care_in_use_mean") * WEEKS_PER_YEAR * money.home_care_hours_per_week,
        "care_home_week": g("care_homes_in_use_mean") * WEEKS_PER_YEAR,
    }, index=wide.index)
    return out[list(ITEMS)]


# --- capacity -----------------------------------------------------------------------------------


def capacity_target(it) -> tuple[str, int] | None:
    """(service, places added at maturity) of a capacity-type intervention, else None."""
    target = getattr(it, "capacity_target", None)
    if target is not None:
        return target
    if getattr(it, "type", "") == "capacity_change":
        return it.service, it.change
    return None


def states_running_costs(it) -> bool:
    """Whether an intervention states its own running costs (then added capacity is paid by its funder)."""
    return it.costs.fixed_per_year > 0 or it.costs.per_use > 0


def _month_offsets(start_date: dt.date, it_start: dt.date, years: int) -> np.ndarray:
    """Months since the intervention's start at the middle of each month of years 1..H (shape H x 12)."""
    base = (start_date - it_start).days
    days = base + YEAR_DAYS * np.arange(years)[:, None] + (np.arange(12)[None, :] + 0.5) * MONTH_DAYS
    return days / MONTH_DAYS


def monthly_levels(it, start_date: dt.date, years: int) -> tuple[np.ndarray, np.ndarray]:
    """(maturity, months since start) at the middle of each month of years 1..H (each H x 12)."""
    since = _month_offsets(start_date, it.start, years)
    level = np.vectorize(it.maturity.level, otypes=[float])(since)
    return level, since


def capacity_by_year(scenario, years: int, *, stated: bool = False, money: MoneySettings | None = None
                     ) -> dict[str, np.ndarray | None]:
    """Mean capacity of every capacity service in years 1..H as the money model counts it.

    The scenario's own capacity, plus capacity changes of interventions by maturity: reductions only after
    their double-running months and, for acute beds, only in whole wards (``money.acute_ward_beds``);
    additions whose intervention states no running cost (they are costed like the service's own capacity),
    and with ``stated=True`` also those that do. None for an unlimited service.
    """
    money = money or scenario.money
    out: dict[str, np.ndarray | None] = {}
    add: dict[str, np.ndarray] = {}
    cut: dict[str, np.ndarray] = {}
    for svc, fieldname in CAPACITY_SERVICES.items():
        base = getattr(getattr(scenario.services, svc), fieldname)
        if base is None or base == "unlimited":
            out[svc] = None
            continue
        out[svc] = np.full((years, 12), float(base))
        add[svc] = np.zeros((years, 12))
        cut[svc] = np.zeros((years, 12))
    for it in scenario.interventions:
        target = capacity_target(it)
        if target is None or out.get(target[0]) is None:
            continue
        svc, change = target
        level, since = monthly_levels(it, scenario.run.start_date, years)
        if change < 0:
            cut[svc] += -change * level * (since >= it.costs.double_running_months)
        elif change > 0 and (stated or not states_running_costs(it)):
            add[svc] += change * level
    for svc, cap in out.items():
        if cap is None:
            continue
        removed = cut[svc]
        if svc == "acute":
            ward = float(money.acute_ward_beds)
            removed = np.floor(removed / ward + 1e-9) * ward
        out[svc] = np.maximum(cap + add[svc] - removed, 0.0).mean(axis=1)
    return out


def _ratio_by_item(num: dict, den: dict, years: list[int]) -> pd.DataFrame:
    """Years x items: num/den of each item's capacity service (1 where unlimited, missing or zero)."""
    out = pd.DataFrame(1.0, index=pd.Index(years, name="year"), columns=list(ITEMS))
    for name, item in ITEMS.items():
        a, b = num.get(item.service), den.get(item.service)
        if item.service is None or a is None or b is None:
            continue
        idx = np.asarray(years) - 1
        with np.errstate(divide="ignore", invalid="ignore"):
            r = np.where(b[idx] > 0, a[idx] / np.where(b[idx] > 0, b[idx], 1.0), 1.0)
        out[name] = r
    return out


# --- costs --------------------------------------------------------------------------------------


def item_costs(act: pd.DataFrame, money: MoneySettings, fixed_scale: pd.DataFrame | None = None) -> pd.DataFrame:
    """Economic cost of every item: activity x uprated unit cost, the fixed part scaled by `fixed_scale`."""
    u = unit_values(money)
    value = u["value"].to_numpy(float)
    m = u["marginal_share"].astype(float).to_numpy()
    cost = act.to_numpy(float) * value
    if fixed_scale is None:
        return pd.DataFrame(cost, index=act.index, columns=act.columns)
    scale = fixed_scale.to_numpy(float)
    return pd.DataFrame(cost * (m + (1.0 - m) * scale), index=act.index, columns=act.columns)


def by_organisation(items: pd.DataFrame, money: MoneySettings) -> pd.DataFrame:
    """Items' costs summed into the organisations that bear them (columns: ORGANISATIONS)."""
    share = bearer_matrix(money)
    return pd.DataFrame(items.to_numpy(float) @ share.to_numpy(float), index=items.index, columns=share.columns)


def _year_of(date: dt.date, start_date: dt.date) -> int:
    """Reporting year (1-based) of a date; dates before year 1 count in year 1."""
    days = (date - start_date).days
    return 1 if days < 0 else int(days // YEAR_DAYS) + 1


def investment_by_year(scenario, wide: pd.DataFrame) -> pd.DataFrame:
    """Years x organisations: what interventions cost their funders, uprated to the price base.

    Set-up in the year of the start (year 1 if earlier); ``fixed_per_year`` x the year's mean maturity (the
    run's ``<key>_maturity``); the full ``fixed_per_year`` during the first ``double_running_months`` (old and
    new services both running); ``per_use`` x ``<key>_uses`` (falling back to the people enrolled for cohort
    types, else 0). `wide` has one row per year 1..H and metric columns.
    """
    from .interventions import intervention_key

    years = [int(y) for y in wide.index]
    H = max(years) if years else 0
    out = pd.DataFrame(0.0, index=pd.Index(years, name="year"), columns=list(ORGANISATIONS))
    money = scenario.money
    start_date = scenario.run.start_date
    idx = np.asarray(years) - 1
    for it in scenario.interventions:
        key = intervention_key(it.name)
        c = it.costs
        inv = np.zeros(H)
        k0 = _year_of(it.start, start_date)
        if k0 <= H:
            inv[k0 - 1] += c.setup
        level, since = monthly_levels(it, start_date, H)
        if c.fixed_per_year:
            mat = wide.get(f"{key}_maturity")
            running = (np.nan_to_num(pd.to_numeric(mat, errors="coerce").to_numpy(float)) if mat is not None
                       else np.zeros(H))
            if mat is None:
                running = level.mean(axis=1)[idx]
            full = np.zeros(H)
            full[idx] = running
            inv += c.fixed_per_year * full
            doubling = (since >= 0) & (since < c.double_running_months)
            inv += c.fixed_per_year / 12.0 * ((1.0 - level) * doubling).sum(axis=1)
        if c.per_use:
            uses = None
            for suffix in ("uses",) + (("in_use", "capacity") if it.type in COHORT_TYPES else ()):
                if f"{key}_{suffix}" in wide.columns:
                    uses = wide[f"{key}_{suffix}"]
                    break
            if uses is not None:
                u = np.zeros(H)
                u[idx] = np.nan_to_num(pd.to_numeric(uses, errors="coerce").to_numpy(float))
                inv += c.per_use * u
        out[it.funded_by] += inv[idx] * uprate_factor(c.price_year, money)
    return out


def _total(frame: pd.DataFrame) -> pd.Series:
    """The sum over organisations, added in the order of ORGANISATIONS (so a reader adding them gets it)."""
    out = frame[ORGANISATIONS[0]].copy()
    for o in ORGANISATIONS[1:]:
        out = out + frame[o]
    return out


def _years_wide(table: pd.DataFrame) -> pd.DataFrame:
    """A run's long metrics table as one row per reporting year (1..H) and one column per metric."""
    t = table[table["year"].astype(str) != "all"]
    wide = t.pivot(index="year", columns="metric", values="value")
    wide.index = [int(y) for y in wide.index]
    return wide.sort_index()


def run_money(table: pd.DataFrame, scenario) -> pd.DataFrame:
    """Per-run money metrics (long ``metric, year, value``): economic cost and investment by organisation.

    ``cost_<org>``: resources used, at average unit costs in the price base; the fixed part of a service's
    cost is counted only for capacity not paid for by an intervention's stated running costs (so added
    capacity is not paid twice). ``investment_<org>``: see :func:`investment_by_year`. Totals are added,
    and year ``all`` is the sum of the years.
    """
    wide = _years_wide(table)
    years = list(wide.index)
    money = scenario.money
    act = activity(wide, money)
    H = max(years) if years else 0
    standard = capacity_by_year(scenario, H, stated=False)
    every = capacity_by_year(scenario, H, stated=True)
    costs = by_organisation(item_costs(act, money, _ratio_by_item(standard, every, years)), money)
    inv = investment_by_year(scenario, wide)
    frames = {**{f"cost_{o}": costs[o] for o in ORGANISATIONS}, "cost_total": _total(costs),
              **{f"investment_{o}": inv[o] for o in ORGANISATIONS}, "investment_total": _total(inv)}
    rows = []
    for name, series in frames.items():
        values = series.to_numpy(float)
        rows += [(name, y, float(v)) for y, v in zip(years, values)]
        rows.append((name, "all", float(values.sum())))
    out = pd.DataFrame(rows, columns=["metric", "year", "value"])
    out["year"] = out["year"].astype(object)
    return out


# --- payments (batch layer) ---------------------------------------------------------------------


def _wide_runs(runs: pd.DataFrame, scenario: str) -> pd.DataFrame:
    """Rows (replication, year 1..H), one column per metric, of one scenario's runs."""
    sub = runs[(runs["scenario"] == scenario) & (runs["year"].astype(str) != "all")]
    wide = sub.pivot_table(index=["replication", "year"], columns="metric", values="value", aggfunc="first")
    wide.index = pd.MultiIndex.from_arrays([wide.index.get_level_values(0).astype(int),
                                            [int(y) for y in wide.index.get_level_values(1)]],
                                           names=["replication", "year"])
    return wide.sort_index()


def _by_year(frame: pd.DataFrame, index: pd.MultiIndex) -> pd.DataFrame:
    """The mean over replications of `frame` by year, laid out on `index` (replication, year)."""
    mean = frame.groupby(level="year").mean()
    years = index.get_level_values("year")
    out = mean.reindex(years)
    out.index = index
    return out


def _tariff(act: pd.DataFrame, money: MoneySettings, ref_los: pd.Series) -> pd.DataFrame:
    """Tariff income of every NHS provider: activity x price; an admission is paid at the spell price (its
    treatment plus the baseline's mean bed days per admission), bed days are not paid apart."""
    u = unit_values(money)
    price = u["value"] * money.tariff_price_ratio
    los = ref_los.reindex(act.index.get_level_values("year")).to_numpy(float)
    paid = pd.DataFrame(index=act.index)
    for name, item in ITEMS.items():
        if item.tariff == "unit":
            paid[name] = act[name] * price[name]
        elif item.tariff == "spell":
            paid[name] = act[name] * (price[name] + price["acute_bed_day"] * np.nan_to_num(los))
        else:
            paid[name] = 0.0
    share = bearer_matrix(money)[list(NHS_PROVIDERS)]
    return pd.DataFrame(paid[list(ITEMS)].to_numpy(float) @ share.to_numpy(float), index=act.index,
                        columns=list(NHS_PROVIDERS))


def transfers(models: dict[str, str], cash: pd.DataFrame, inv: pd.DataFrame, tariff: pd.DataFrame,
              ref_tariff: pd.DataFrame, ref_pool: pd.DataFrame, money: MoneySettings) -> pd.DataFrame:
    """Money received (+) or paid (-) by every organisation under a payment model for each NHS provider.

    ``tariff``: the ICB pays the provider its tariff income. ``block``: the ICB pays the baseline's expected
    tariff income (``ref_tariff``), whatever the activity. ``pooled``: the pool (the ICB, every pooled
    provider and, if ``pool.includes_social_care``, the local authority) has a budget equal to the baseline's
    expected cash cost plus investment of its members (``ref_pool``); each member is paid its own cash cost and
    investment, plus its share of the gain (budget minus actual spend; negative: a loss). The ICB funds the
    budget, the local authority its own part. Transfers sum to 0 in every row.
    """
    out = pd.DataFrame(0.0, index=cash.index, columns=list(ORGANISATIONS))
    pooled = [p for p in NHS_PROVIDERS if models[p] == "pooled"]
    for p in NHS_PROVIDERS:
        if models[p] == "tariff":
            out[p] += tariff[p]
            out["icb"] -= tariff[p]
        elif models[p] == "block":
            out[p] += ref_tariff[p]
            out["icb"] -= ref_tariff[p]
    if pooled:
        members = ["icb"] + pooled + (["local_authority"] if money.pool.includes_social_care else [])
        weights = np.array([getattr(money.pool.shares, mm) for mm in members], dtype=float)
        shares = weights / weights.sum() if weights.sum() > 0 else np.full(len(members), 1.0 / len(members))
        spend = cash[members] + inv[members]
        budget = ref_pool[members].sum(axis=1)
        gain = budget - spend.sum(axis=1)
        for mm, s in zip(members, shares):
            out[mm] += spend[mm] + s * gain
        if "local_authority" in members:
            out["local_authority"] -= ref_pool["local_authority"]
            out["icb"] -= budget - ref_pool["local_authority"]
        else:
            out["icb"] -= budget
    return out


def _derive_one(wide: pd.DataFrame, scenario, bwide: pd.DataFrame, bscenario) -> dict[str, pd.DataFrame]:
    """Cash costs, transfers and net costs of one scenario's runs against its reference (baseline) runs."""
    money = scenario.money
    u = unit_values(money)
    value = u["value"].to_numpy(float)
    m = u["marginal_share"].astype(float).to_numpy()
    act, bact = activity(wide, money), activity(bwide, money)
    years = sorted(set(wide.index.get_level_values("year")) | set(bact.index.get_level_values("year")))
    H = max(years)
    kappa = _ratio_by_item(capacity_by_year(scenario, H, money=money), capacity_by_year(bscenario, H, money=money),
                           years)
    # fixed costs: the baseline's expected fixed part, scaled by the capacity the money model counts
    ref_fixed = bact * value * (1.0 - m)
    fixed = _by_year(ref_fixed, act.index).fillna(_by_year(act * value * (1.0 - m), act.index))
    k = kappa.reindex(act.index.get_level_values("year")).to_numpy(float)
    cash = by_organisation(fixed * k + act * value * m, money)
    bcash = by_organisation(_by_year(ref_fixed, bact.index) + bact * value * m, money)

    def inv_of(w: pd.DataFrame) -> pd.DataFrame:
        cols = {o: (pd.to_numeric(w[f"investment_{o}"], errors="coerce").fillna(0.0) if f"investment_{o}" in w
                    else pd.Series(0.0, index=w.index)) for o in ORGANISATIONS}
        return pd.DataFrame(cols, index=w.index)

    inv, binv = inv_of(wide), inv_of(bwide)
    b_adm = bact["emergency_admission"].groupby(level="year").mean()
    b_bed = bact["acute_bed_day"].groupby(level="year").mean()
    ref_los = (b_bed / b_adm.where(b_adm > 0)).fillna(0.0)
    tariff = _tariff(act, money, ref_los)
    ref_tariff = _by_year(_tariff(bact, money, ref_los), act.index)
    ref_pool = _by_year(bcash + binv, act.index)
    out = {"cost_cash": cash}
    choices = {"contracts": {p: getattr(money.contracts, p) for p in NHS_PROVIDERS},
               **{model: {p: model for p in NHS_PROVIDERS} for model in ("tariff", "block", "pooled")}}
    for view, models in choices.items():
        t = transfers(models, cash, inv, tariff, ref_tariff, ref_pool, money)
        out[f"payment_{view}"] = t
        out[f"net_cost_{view}"] = cash + inv - t
    return out


def _name(prefix: str, view: str, org: str) -> str:
    """Metric name: the scenario's own contracts are the plain ``payment_<org>`` / ``net_cost_<org>``."""
    middle = "" if view == "contracts" else f"{view}_"
    return f"{prefix}_{middle}{org}"


def derive_batch(runs: pd.DataFrame, scenarios: dict, baseline: str) -> pd.DataFrame:
    """Per-run cash costs, payments and net costs under every payment view, as rows to add to `runs`.

    `runs` is the long batch table (``scenario, replication, metric, year, value``) with the per-run money
    metrics of :func:`run_money`; `scenarios` maps each scenario name to its resolved
    :class:`~simulation.scenario.schema.Scenario`. Each scenario's contract sums come from the runs of
    `baseline` (from its own runs when the baseline is not in the batch). Empty when the runs carry no money.
    """
    columns = ["scenario", "replication", "metric", "year", "value"]
    if runs.empty or "investment_total" not in set(runs["metric"]):
        return pd.DataFrame(columns=columns)
    names = [s for s in pd.unique(runs["scenario"]) if s in scenarios]
    wides = {name: _wide_runs(runs, name) for name in names}
    ref = baseline if baseline in wides else None
    frames = []
    for name in names:
        base = ref or name
        parts = _derive_one(wides[name], scenarios[name], wides[base], scenarios[base])
        metrics: dict[str, pd.Series] = {}
        for o in ORGANISATIONS:
            metrics[f"cost_cash_{o}"] = parts["cost_cash"][o]
            for view in VIEWS:
                metrics[_name("payment", view, o)] = parts[f"payment_{view}"][o]
                metrics[_name("net_cost", view, o)] = parts[f"net_cost_{view}"][o]
        metrics["cost_cash_total"] = _total(parts["cost_cash"])
        metrics["net_cost_total"] = _total(parts["net_cost_contracts"])
        wide = pd.DataFrame(metrics)
        allyears = wide.groupby(level="replication").sum()
        allyears.index = pd.MultiIndex.from_arrays([allyears.index, ["all"] * len(allyears)],
                                                   names=["replication", "year"])
        long = pd.concat([wide, allyears]).stack().rename("value").reset_index()
        long.columns = ["replication", "year", "metric", "value"]
        long.insert(0, "scenario", name)
        frames.append(long[columns])
    if not frames:
        return pd.DataFrame(columns=columns)
    out = pd.concat(frames, ignore_index=True)
    out["year"] = out["year"].astype(object)
    return out


# --- incremental results (money.csv) ------------------------------------------------------------

MONEY_COLUMNS = ["scenario", "view", "organisation", "measure", "year", "mean", "ci_low", "ci_high",
                 "replications"]
#: views of ``money.csv``: economic cost (resources used, no transfers) and the payment views (cash)
MONEY_VIEWS = ("economic",) + VIEWS


def _net_cost_metric(view: str, org: str) -> tuple[str, ...]:
    """Per-run metrics whose sum is the net cost of `org` in `view` (investment included)."""
    if view == "economic":
        return (f"cost_{org}", f"investment_{org}")
    if org == "total":
        return ("net_cost_total",)
    return (_name("net_cost", view, org),)


def _paired(runs: pd.DataFrame, scenario: str, baseline: str, metrics: list[str]) -> pd.DataFrame:
    """Scenario minus baseline by (replication, year 1..H) for `metrics` (matched replications only)."""
    a = _wide_runs(runs[runs["metric"].isin(metrics)], scenario)
    b = _wide_runs(runs[runs["metric"].isin(metrics)], baseline)
    a, b = a.reindex(columns=metrics), b.reindex(columns=metrics)
    joined = a.merge(b, left_index=True, right_index=True, how="inner", suffixes=("_s", "_b"))
    diff = pd.DataFrame({mm: joined[f"{mm}_s"].to_numpy(float) - joined[f"{mm}_b"].to_numpy(float)
                         for mm in metrics}, index=joined.index)
    return diff.fillna(0.0)


def incremental(runs: pd.DataFrame, scenarios: dict, baseline: str, confidence: float = 0.95) -> pd.DataFrame:
    """Money against the baseline, paired by replication, with t intervals across replications.

    `runs` holds the per-run money metrics (:func:`run_money`) and the derived ones (:func:`derive_batch`).
    Measures (``net_cost_change`` and the others: see ``docs/money.md``), by view (``economic``: resources
    used at average cost, no transfers; ``contracts``, ``tariff``, ``block``, ``pooled``: cash, after the
    payments of that model; ``savings``, ``investment``, ``activity``: whatever the view), organisation
    (``total``: all of them) and year (1..H, ``all``). A positive net cost change costs the organisation money;
    a positive net benefit saves it money.
    """
    if runs.empty or "net_cost_total" not in set(runs["metric"]) or baseline not in set(runs["scenario"]):
        return pd.DataFrame(columns=MONEY_COLUMNS)
    rows: list[tuple] = []

    def add(scen, view, org, measure, year, values):
        v = np.asarray(values, dtype=float)
        m, lo, hi = mean_ci(v, confidence)
        rows.append((scen, view, org, measure, year, m, lo, hi, int(np.isfinite(v).sum())))

    def point(scen, view, org, measure, value, n):
        rows.append((scen, view, org, measure, "all", value, math.nan, math.nan, n))

    orgs = list(ORGANISATIONS) + ["total"]
    for scen in [s for s in pd.unique(runs["scenario"]) if s != baseline]:
        sc = scenarios.get(scen)
        rate = (sc.money.discount_rate_pct if sc is not None else 3.5) / 100.0
        metrics = sorted({mm for view in MONEY_VIEWS for o in orgs for mm in _net_cost_metric(view, o)}
                         | {f"cost_{o}" for o in orgs} | {f"cost_cash_{o}" for o in orgs}
                         | {f"investment_{o}" for o in orgs} | {"emergency_admissions", "bed_days"})
        d = _paired(runs, scen, baseline, metrics)
        if d.empty:
            continue
        years = sorted(set(d.index.get_level_values("year")))
        reps = sorted(set(d.index.get_level_values("replication")))
        disc = pd.Series(discount_factors(len(years), rate), index=years)

        def per_rep(series: pd.Series) -> pd.DataFrame:
            """Replications x years."""
            return series.unstack("year").reindex(index=reps, columns=years).fillna(0.0)

        for view in MONEY_VIEWS:
            for org in orgs:
                net = per_rep(sum(d[mm] for mm in _net_cost_metric(view, org)))
                for y in years:
                    add(scen, view, org, "net_cost_change", y, net[y])
                add(scen, view, org, "net_cost_change", "all", net.sum(axis=1))
                benefit = -(net * disc)
                cum = benefit.cumsum(axis=1)
                for y in years:
                    add(scen, view, org, "cumulative_net_benefit", y, cum[y])
                add(scen, view, org, "npv", "all", benefit.sum(axis=1))
                point(scen, view, org, "break_even_year", break_even_year(cum.mean(axis=0)), len(reps))
                per = [break_even_year(row) for _, row in cum.iterrows()]
                point(scen, view, org, "break_even_share", float(np.mean([p == p for p in per])), len(reps))
        # savings: cash-releasing and not, by organisation
        for org in orgs:
            cash = per_rep(d[f"cost_cash_{org}"])
            econ = per_rep(d[f"cost_{org}"])
            for measure, frame in (("saving_cash_releasing", -cash), ("saving_non_cash_releasing", cash - econ)):
                for y in years:
                    add(scen, "savings", org, measure, y, frame[y])
                add(scen, "savings", org, measure, "all", frame.sum(axis=1))
            inv = per_rep(d[f"investment_{org}"])
            for y in years:
                add(scen, "investment", org, "investment", y, inv[y])
            add(scen, "investment", org, "investment", "all", inv.sum(axis=1))
        # value for money of the system as a whole
        inv = per_rep(d["investment_total"])
        pv_inv = (inv * disc).sum(axis=1)
        for basis, cost in (("economic", "cost_total"), ("cash", "cost_cash_total")):
            pv_saving = (-(per_rep(d[cost])) * disc).sum(axis=1)
            r, lo, hi = ratio_ci(pv_saving, pv_inv, confidence)
            rows.append((scen, basis, "total", "roi", "all", r - 1.0, lo - 1.0, hi - 1.0, len(reps)))
        adm = -per_rep(d["emergency_admissions"]).sum(axis=1)
        beds = -per_rep(d["bed_days"]).sum(axis=1)
        add(scen, "activity", "total", "admissions_avoided", "all", adm)
        add(scen, "activity", "total", "bed_days_released", "all", beds)
        for measure, den in (("investment_per_admission_avoided", adm), ("investment_per_bed_day_released", beds)):
            r, lo, hi = ratio_ci(inv.sum(axis=1), den, confidence)
            rows.append((scen, "activity", "total", measure, "all", r, lo, hi, len(reps)))
    out = pd.DataFrame(rows, columns=MONEY_COLUMNS)
    out["year"] = out["year"].astype(object)
    return out

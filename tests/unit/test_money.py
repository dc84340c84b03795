"""Money (simulation/money.py) on hand-made metrics tables: organisations add up to the total, a scenario
identical to the baseline costs nothing extra, discounting and NPV match hand calculations, and the payment
views move money between organisations without creating or losing any."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from simulation import money as mo
from simulation.analysis import break_even_year, discount_factors, ratio_ci
from simulation.scenario import Scenario
from simulation.scenario.money import UnitCosts

YEARS = 3
#: a year's activity of a small place (counts, and levels for the bed- and place-based services)
ACTIVITY = {
    "gp_urgent_contacts": 9000.0, "calls_111": 6000.0, "ambulance_incidents": 2400.0, "ucr_visits": 800.0,
    "community_nursing_visits": 3000.0, "ae_attendances": 7000.0, "ae_admission_conversion": 0.25,
    "emergency_admissions": 2000.0, "bed_days": 12000.0, "reablement_episodes": 90.0,
    "intermediate_care_in_use_mean": 2.0, "home_care_in_use_mean": 180.0, "care_homes_in_use_mean": 140.0,
}


def scenario(name: str = "baseline", interventions: list | None = None, **money) -> Scenario:
    """The default scenario with a name, interventions and money settings replaced (nested dicts merge)."""
    data = Scenario().model_dump()
    data["name"] = name
    data["interventions"] = interventions or []

    def merge(into: dict, update: dict) -> None:
        for k, v in update.items():
            if isinstance(v, dict) and isinstance(into.get(k), dict):
                merge(into[k], v)
            else:
                into[k] = v
    merge(data["money"], money)
    return Scenario.model_validate(data)


def table(scale=1.0, extra: dict | None = None, years: int = YEARS, **override) -> pd.DataFrame:
    """A run's long metrics table: ACTIVITY (times `scale`, per-metric lists in `override`) plus `extra`."""
    rows = []
    values = {k: [v * (scale if k != "ae_admission_conversion" else 1.0)] * years for k, v in ACTIVITY.items()}
    values.update({k: list(v) for k, v in override.items()})
    values.update({k: list(v) for k, v in (extra or {}).items()})
    for metric, series in values.items():
        rows += [(metric, k + 1, float(v)) for k, v in enumerate(series)]
        rows.append((metric, "all", float(np.sum(series))))
    out = pd.DataFrame(rows, columns=["metric", "year", "value"])
    out["year"] = out["year"].astype(object)
    return out


def with_money(t: pd.DataFrame, sc: Scenario) -> pd.DataFrame:
    return pd.concat([t, mo.run_money(t, sc)], ignore_index=True)


def runs_of(tables: dict[str, list[pd.DataFrame]], scenarios: dict[str, Scenario]) -> pd.DataFrame:
    """A batch's long runs table, per-run money included (as run_metrics would give)."""
    frames = []
    for name, reps in tables.items():
        for rep, t in enumerate(reps):
            t = with_money(t, scenarios[name])
            t.insert(0, "replication", rep)
            t.insert(0, "scenario", name)
            frames.append(t)
    runs = pd.concat(frames, ignore_index=True)
    runs["year"] = runs["year"].astype(object)
    return runs


def batch(tables: dict[str, list[pd.DataFrame]], scenarios: dict[str, Scenario], baseline: str = "baseline"):
    runs = runs_of(tables, scenarios)
    runs = pd.concat([runs, mo.derive_batch(runs, scenarios, baseline)], ignore_index=True)
    return runs, mo.incremental(runs, scenarios, baseline)


def value(runs: pd.DataFrame, scen: str, metric: str, rep: int = 0, year=1) -> float:
    r = runs[(runs["scenario"] == scen) & (runs["metric"] == metric) & (runs["replication"] == rep)
             & (runs["year"].astype(str) == str(year))]
    assert len(r) == 1, (scen, metric, rep, year)
    return float(r["value"].iloc[0])


def money_row(money: pd.DataFrame, scen: str, view: str, org: str, measure: str, year="all") -> pd.Series:
    r = money[(money["scenario"] == scen) & (money["view"] == view) & (money["organisation"] == org)
              & (money["measure"] == measure) & (money["year"].astype(str) == str(year))]
    assert len(r) == 1, (scen, view, org, measure, year)
    return r.iloc[0]


# --- prices and the table of unit costs ----------------------------------------------------------


def test_every_counted_item_has_a_unit_cost_and_every_unit_cost_is_counted():
    assert list(mo.ITEMS) == list(UnitCosts.model_fields)


def test_uprating_uses_the_index_and_extrapolates_beyond_it():
    m = Scenario().money
    assert mo.uprate_factor(2024, m) == 1.0
    assert mo.uprate_factor(2013, m) == pytest.approx(100.0 / 73.7)
    assert mo.uprate_factor(2030, m) == pytest.approx(1.02 ** -6)  # beyond the table: 2% a year
    assert mo.uprate_factor(2000, m) == pytest.approx(100.0 / (62.5 / 1.02 ** 5))
    rebased = scenario(price_base_year=2013).money
    assert mo.uprate_factor(2024, rebased) == pytest.approx(73.7 / 100.0)
    u = mo.unit_values(m)
    assert u.loc["gp_urgent_contact", "value"] == pytest.approx(49.0 * 100.0 / 90.3)


def test_activity_is_counted_as_documented():
    m = Scenario().money
    act = mo.activity(pd.DataFrame([ACTIVITY]), m).iloc[0]
    assert act["ae_attendance_admitted"] == 1750.0 and act["ae_attendance_not_admitted"] == 5250.0
    assert act["acute_bed_day"] == 12000.0 and act["emergency_admission"] == 2000.0
    assert act["intermediate_care_bed_day"] == pytest.approx(2.0 * 365)
    assert act["care_home_week"] == pytest.approx(140.0 * 365 / 7)
    assert act["home_care_hour"] == pytest.approx(180.0 * 365 / 7 * m.home_care_hours_per_week)
    missing = mo.activity(pd.DataFrame([{"bed_days": 5.0}]), m).iloc[0]  # absent metrics count as 0
    assert missing["acute_bed_day"] == 5.0 and missing.drop("acute_bed_day").eq(0).all()


# --- per run: economic cost and investment --------------------------------------------------------


def test_organisations_costs_add_up_to_the_total_exactly():
    sc = Scenario()
    out = mo.run_money(table(), sc)
    wide = out.pivot(index="metric", columns="year", values="value")
    for year in [1, 2, 3]:
        assert sum(wide.loc[f"cost_{o}", year] for o in mo.ORGANISATIONS) == wide.loc["cost_total", year]
        assert sum(wide.loc[f"investment_{o}", year] for o in mo.ORGANISATIONS) == wide.loc["investment_total", year]
    assert sum(wide.loc[f"cost_{o}", "all"] for o in mo.ORGANISATIONS) == pytest.approx(wide.loc["cost_total", "all"],
                                                                                       rel=1e-14)
    # every pound of every item lands on exactly one organisation: items x bearers rows sum to 1
    assert np.allclose(mo.bearer_matrix(sc.money).sum(axis=1), 1.0)


def test_exact_when_prices_are_whole_pounds_of_the_base_year():
    costs = {name: {"value": 10.0 * (i + 1), "price_year": 2024, "marginal_share": 0.25,
                    "borne_by": list(mo.ORGANISATIONS)[i % 6], "self_funded_share": 0.5 if i % 3 == 0 else 0.0}
             for i, name in enumerate(mo.ITEMS)}
    sc = scenario(unit_costs=costs, home_care_hours_per_week=7.0)
    t = table(intermediate_care_in_use_mean=[0.0] * 3, care_homes_in_use_mean=[0.0] * 3, home_care_in_use_mean=[0.0] * 3)
    out = mo.run_money(t, sc).pivot(index="metric", columns="year", values="value")
    for year in [1, 2, 3, "all"]:
        assert sum(out.loc[f"cost_{o}", year] for o in mo.ORGANISATIONS) == out.loc["cost_total", year]
    act = mo.activity(pd.DataFrame([ACTIVITY]), sc.money).iloc[0]
    expected = sum(act[name] * 10.0 * (i + 1) for i, name in enumerate(mo.ITEMS)
                   if name not in ("intermediate_care_bed_day", "care_home_week", "home_care_hour"))
    assert out.loc["cost_total", 1] == expected
    assert out.loc["cost_self_funders", 1] == sum(act[n] * 10.0 * (i + 1) * 0.5 for i, n in enumerate(mo.ITEMS)
                                                  if i % 3 == 0 and n not in ("intermediate_care_bed_day",
                                                                              "care_home_week", "home_care_hour"))


def _months_since(start: dt.date, year: int, month: int) -> float:
    days = (dt.date(2025, 4, 1) - start).days + 365.0 * (year - 1) + (month + 0.5) * 365.0 / 12
    return days / (365.0 / 12)


def test_investment_setup_running_double_running_and_per_use_by_hand():
    start = dt.date(2025, 10, 1)  # half way through year 1
    it = {"type": "telehealth", "name": "Remote care!", "start": start.isoformat(), "capacity_patients": 100,
          "maturity": {"curve": "linear", "full_months": 12.0}, "funded_by": "icb",
          "costs": {"setup": 1000.0, "fixed_per_year": 1200.0, "per_use": 10.0, "double_running_months": 6.0,
                    "price_year": 2013}}
    sc = scenario(interventions=[it])
    key = "intervention_remote_care"
    t = table(extra={f"{key}_maturity": [0.2, 0.8, 1.0], f"{key}_uses": [5.0, 50.0, 100.0]})
    out = mo.run_money(t, sc).pivot(index="metric", columns="year", values="value")
    doubling = sum(1200.0 / 12 * (1 - min(1.0, _months_since(start, 1, j) / 12.0)) for j in range(12)
                   if 0 <= _months_since(start, 1, j) < 6)
    up = 100.0 / 73.7
    assert out.loc["investment_icb", 1] == pytest.approx((1000 + 1200 * 0.2 + doubling + 10 * 5) * up)
    assert out.loc["investment_icb", 2] == pytest.approx((1200 * 0.8 + 10 * 50) * up)
    assert out.loc["investment_icb", 3] == pytest.approx((1200 * 1.0 + 10 * 100) * up)
    assert out.loc["investment_acute_trust"].eq(0).all()
    # without a uses metric a cohort type is charged on the people enrolled (person-years)
    t2 = table(extra={f"{key}_maturity": [0.2, 0.8, 1.0], f"{key}_in_use": [4.0, 40.0, 90.0]})
    out2 = mo.run_money(t2, sc).pivot(index="metric", columns="year", values="value")
    assert out2.loc["investment_icb", 3] == pytest.approx((1200 + 10 * 90) * up)
    # an intervention that starts after the horizon costs nothing
    late = scenario(interventions=[{**it, "start": "2040-04-01"}])
    assert mo.run_money(table(), late).query("metric == 'investment_total'")["value"].eq(0).all()


def test_added_capacity_with_stated_costs_is_not_paid_twice():
    it = {"type": "capacity_change", "name": "more reablement", "start": "2025-04-01", "service": "reablement",
          "change": 28, "maturity": {"curve": "step"}, "funded_by": "local_authority",
          "costs": {"fixed_per_year": 500000.0, "price_year": 2024}}
    base, more = Scenario(), scenario("more", interventions=[it])
    t = table()
    a = mo.run_money(t, base).pivot(index="metric", columns="year", values="value")
    b = mo.run_money(t, more).pivot(index="metric", columns="year", values="value")
    u = mo.unit_values(base.money).loc["reablement_episode"]
    places = base.services.reablement.places
    full = 90.0 * u["value"]
    # the same episodes cost only their marginal share plus the fixed share of the old places' part
    fixed_part = full * (1 - u["marginal_share"])
    assert a.loc["cost_local_authority", 2] - b.loc["cost_local_authority", 2] == pytest.approx(
        fixed_part * (1 - places / (places + 28)))
    assert b.loc["investment_local_authority", 2] == pytest.approx(500000.0)


# --- the batch layer: cash, payments, incremental ---------------------------------------------------


def _tables(scale: float, reps: int = 3, **override):
    rng = np.random.default_rng(7)
    out = []
    for _ in range(reps):
        noise = 1.0 + 0.05 * rng.standard_normal()
        out.append(table(scale * noise, **override))
    return out


def test_a_scenario_identical_to_the_baseline_has_zero_incremental_cost():
    scs = {"baseline": Scenario(), "same": scenario("same")}
    runs, money = batch({"baseline": _tables(1.0), "same": _tables(1.0)}, scs)
    changes = money[money["measure"].isin(["net_cost_change", "npv", "cumulative_net_benefit", "investment",
                                           "saving_cash_releasing", "saving_non_cash_releasing"])]
    assert len(changes) > 100
    assert (changes["mean"] == 0).all() and (changes["ci_low"] == 0).all() and (changes["ci_high"] == 0).all()
    assert math.isnan(money_row(money, "same", "economic", "total", "break_even_year")["mean"])
    assert math.isnan(money_row(money, "same", "economic", "total", "roi")["mean"])


def test_payment_views_redistribute_money_without_creating_or_losing_any():
    it = {"type": "telehealth", "name": "th", "start": "2025-04-01", "capacity_patients": 100, "funded_by": "icb",
          "costs": {"setup": 20000.0, "per_use": 1500.0, "price_year": 2013}}
    closure = {"type": "capacity_change", "name": "ward", "start": "2026-04-01", "service": "acute", "change": -30,
               "maturity": {"curve": "step"}, "funded_by": "acute_trust", "costs": {"setup": 5000.0}}
    scs = {"baseline": Scenario(), "alt": scenario("alt", interventions=[it, closure],
                                                   contracts={"community_provider": "pooled"})}
    extra = {"intervention_th_maturity": [0.3, 0.7, 0.9], "intervention_th_uses": [30.0, 70.0, 90.0]}
    alt = [table(0.97 * (1 + 0.03 * k), extra=extra) for k in range(3)]
    runs, _ = batch({"baseline": _tables(1.0), "alt": alt}, scs)
    wide = runs[runs["year"].astype(str) != "all"].pivot_table(index=["scenario", "replication", "year"],
                                                               columns="metric", values="value")
    orgs = list(mo.ORGANISATIONS)
    total = wide["cost_cash_total"] + wide["investment_total"]
    assert np.allclose(wide["net_cost_total"], total, rtol=1e-12)
    scale = float(total.abs().max())
    for view in mo.VIEWS:
        mid = "" if view == "contracts" else f"{view}_"
        paid = wide[[f"payment_{mid}{o}" for o in orgs]].sum(axis=1)
        assert (paid.abs() < 1e-9 * scale).all(), view  # transfers only
        net = wide[[f"net_cost_{mid}{o}" for o in orgs]].sum(axis=1)
        assert np.allclose(net, total, rtol=1e-12), view  # no money created or lost
    # the same run: every view has the same cash costs and investment, only the payments differ
    assert not np.allclose(wide["payment_tariff_acute_trust"], wide["payment_pooled_acute_trust"])


def test_under_a_tariff_fewer_admissions_cut_the_acute_trusts_income_and_the_icbs_spend():
    scs = {"baseline": Scenario(), "fewer": scenario("fewer")}
    base = _tables(1.0)
    fewer = [t.copy() for t in base]
    for t in fewer:
        for metric, factor in (("emergency_admissions", 0.9), ("bed_days", 0.9)):
            t.loc[t["metric"] == metric, "value"] *= factor
    runs, money = batch({"baseline": base, "fewer": fewer}, scs)

    def d(view: str, org: str) -> float:
        return float(money_row(money, "fewer", view, org, "net_cost_change")["mean"])

    u = mo.unit_values(Scenario().money)
    # the spell price: treatment plus the baseline's mean bed days per admission (12,000 / 2,000 = 6)
    spell = u.loc["emergency_admission", "value"] + 6.0 * u.loc["acute_bed_day", "value"]
    admissions = np.mean([value(runs, "baseline", "emergency_admissions", r, "all") for r in range(3)])
    assert value(runs, "fewer", "payment_tariff_acute_trust") < value(runs, "baseline", "payment_tariff_acute_trust")
    assert d("tariff", "icb") < 0  # the commissioner pays less...
    assert d("tariff", "acute_trust") > 0  # ...and the trust loses more income than it saves in marginal cost
    assert d("tariff", "icb") == pytest.approx(-0.1 * admissions * spell, rel=1e-9)
    assert d("block", "icb") == 0 and d("block", "acute_trust") < 0  # a block: the trust keeps its income
    pooled = {o: d("pooled", o) for o in ("icb", "acute_trust", "community_provider", "primary_care",
                                          "ambulance_trust", "local_authority")}
    gain = sum(pooled.values())
    shares = Scenario().money.pool.shares
    for o, v in pooled.items():  # a pooled budget shares the gain by the agreed percentages
        assert v == pytest.approx(gain * getattr(shares, o) / 100.0, rel=1e-9, abs=1e-6)
    for view in ("tariff", "block", "pooled", "contracts"):
        assert d(view, "total") == pytest.approx(d("contracts", "total"))
    # freed bed days save only their marginal cost in cash; the rest is a non-cash-releasing saving
    cash = float(money_row(money, "fewer", "savings", "acute_trust", "saving_cash_releasing")["mean"])
    other = float(money_row(money, "fewer", "savings", "acute_trust", "saving_non_cash_releasing")["mean"])
    assert cash > 0 and other > 0
    marginal = (u.loc["acute_bed_day", "value"] * u.loc["acute_bed_day", "marginal_share"] * 0.1 *
                np.mean([value(runs, "baseline", "bed_days", r, "all") for r in range(3)])
                + u.loc["emergency_admission", "value"] * u.loc["emergency_admission", "marginal_share"] * 0.1 *
                np.mean([value(runs, "baseline", "emergency_admissions", r, "all") for r in range(3)]))
    assert cash == pytest.approx(marginal, rel=1e-9)


def test_closing_beds_releases_cash_in_whole_wards_after_double_running():
    def closure(change: int, months: float = 0.0) -> dict:
        return {"type": "capacity_change", "name": "close", "start": "2025-04-01", "service": "acute",
                "change": change, "maturity": {"curve": "step"}, "funded_by": "acute_trust",
                "costs": {"double_running_months": months}}
    scs = {"baseline": Scenario(), "one": scenario("one", [closure(-30)]), "two": scenario("two", [closure(-56)]),
           "late": scenario("late", [closure(-56, 12.0)]), "few": scenario("few", [closure(-20)])}
    same = _tables(1.0)
    runs, money = batch({name: same for name in scs}, scs)
    u = mo.unit_values(Scenario().money).loc["acute_bed_day"]
    beds = Scenario().services.acute.beds
    fixed = u["value"] * (1 - u["marginal_share"]) * np.mean([value(runs, "baseline", "bed_days", r)
                                                              for r in range(3)])

    def saved(name: str, year: int) -> float:
        return float(money_row(money, name, "savings", "acute_trust", "saving_cash_releasing", year)["mean"])

    assert saved("one", 1) == pytest.approx(fixed * 28 / beds)  # 30 beds: one whole ward of 28
    assert saved("two", 1) == pytest.approx(fixed * 56 / beds)
    assert saved("few", 1) == pytest.approx(0.0, abs=1e-6)  # less than a ward: nothing released
    assert saved("late", 1) == pytest.approx(0.0, abs=1e-6) and saved("late", 2) == pytest.approx(saved("two", 2))
    # same activity: the economic cost does not move, so the cash released is not an economic saving
    assert float(money_row(money, "two", "economic", "total", "net_cost_change")["mean"]) == pytest.approx(0.0)


def test_discounting_npv_break_even_and_roi_against_hand_calculations():
    scs = {"baseline": Scenario(), "alt": scenario("alt")}
    base = _tables(1.0)
    runs = runs_of({"baseline": base, "alt": [t.copy() for t in base]}, scs)
    # the scenario invests 1,000 in year 1 and saves 600 of economic cost in years 2 and 3
    sel = runs["scenario"] == "alt"
    for metric, delta in (("investment_icb", [1000.0, 0.0, 0.0]), ("investment_total", [1000.0, 0.0, 0.0]),
                          ("cost_acute_trust", [0.0, -600.0, -600.0]), ("cost_total", [0.0, -600.0, -600.0])):
        for y, dv in enumerate(delta, start=1):
            runs.loc[sel & (runs["metric"] == metric) & (runs["year"].astype(str) == str(y)), "value"] += dv
        runs.loc[sel & (runs["metric"] == metric) & (runs["year"].astype(str) == "all"), "value"] += sum(delta)
    runs = pd.concat([runs, mo.derive_batch(runs, scs, "baseline")], ignore_index=True)
    money = mo.incremental(runs, scs, "baseline")
    r = 0.035
    npv = -1000 + 600 / (1 + r) + 600 / (1 + r) ** 2
    row = money_row(money, "alt", "economic", "total", "npv")
    assert row["mean"] == pytest.approx(npv) and row["ci_low"] == pytest.approx(npv)
    cum = [-1000, -1000 + 600 / (1 + r), npv]
    for y in (1, 2, 3):
        assert money_row(money, "alt", "economic", "total", "cumulative_net_benefit", y)["mean"] == pytest.approx(
            cum[y - 1])
    assert money_row(money, "alt", "economic", "total", "break_even_year")["mean"] == 3
    assert money_row(money, "alt", "economic", "icb", "npv")["mean"] == pytest.approx(-1000)
    assert money_row(money, "alt", "economic", "acute_trust", "npv")["mean"] == pytest.approx(npv + 1000)
    roi = (600 / (1 + r) + 600 / (1 + r) ** 2 - 1000) / 1000
    assert money_row(money, "alt", "economic", "total", "roi")["mean"] == pytest.approx(roi)
    # in cash nothing was saved (activity unchanged): the investment is lost
    assert money_row(money, "alt", "contracts", "total", "npv")["mean"] == pytest.approx(-1000)
    assert money_row(money, "alt", "cash", "total", "roi")["mean"] == pytest.approx(-1.0)
    assert math.isnan(money_row(money, "alt", "contracts", "total", "break_even_year")["mean"])
    # another rate: 10%
    scs10 = {"baseline": Scenario(), "alt": scenario("alt", discount_rate_pct=10.0)}
    money10 = mo.incremental(runs, scs10, "baseline")
    assert money_row(money10, "alt", "economic", "total", "npv")["mean"] == pytest.approx(
        -1000 + 600 / 1.1 + 600 / 1.1 ** 2)


def test_discount_factors_break_even_and_fieller_by_hand():
    assert discount_factors(4, 0.035) == pytest.approx([1, 1 / 1.035, 1 / 1.035 ** 2, 1 / 1.035 ** 3])
    assert discount_factors(2, 0.0) == pytest.approx([1, 1])
    assert break_even_year([-3.0, -1.0, 0.5]) == 3
    assert break_even_year([2.0, 3.0]) == 1
    assert break_even_year([-1.0, 2.0, -0.5]) != break_even_year([-1.0, 2.0, -0.5])  # ends below: NaN
    assert break_even_year(pd.Series([-1.0, 1.0], index=[4, 5])) == 5
    # Fieller: a constant denominator gives the t interval of the numerator divided by it
    x = np.array([10.0, 12.0, 14.0, 11.0])
    r, lo, hi = ratio_ci(x, np.full(4, 4.0))
    half = stats.t.ppf(0.975, 3) * x.std(ddof=1) / 2.0
    assert (r, lo, hi) == pytest.approx((x.mean() / 4, (x.mean() - half) / 4, (x.mean() + half) / 4))
    # by hand with a varying denominator: the roots of the quadratic
    y = np.array([2.0, 2.5, 3.0, 2.2])
    q = stats.t.ppf(0.975, 3) ** 2 / 4
    c = np.cov(np.vstack([x, y]), ddof=1)
    a, b = y.mean() ** 2 - q * c[1, 1], -2 * (x.mean() * y.mean() - q * c[0, 1])
    cc = x.mean() ** 2 - q * c[0, 0]
    roots = sorted(np.roots([a, b, cc]))
    r, lo, hi = ratio_ci(x, y)
    assert r == pytest.approx(x.mean() / y.mean()) and (lo, hi) == pytest.approx(roots)
    # a denominator not clearly away from 0: no bounded interval
    r, lo, hi = ratio_ci([1.0, 2.0, 3.0], [-1.0, 0.5, 1.0])
    assert math.isnan(lo) and math.isnan(hi)

"""Money in a real (tiny) batch: money.csv and the derived metrics are written, a scenario whose only change
starts after the horizon costs nothing extra, payments only move money, and the report shows who invests and
who saves under a tariff and under a pooled budget."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from simulation import output, plots
from simulation.experiment import execute, tasks_for
from simulation.money import ORGANISATIONS, VIEWS
from simulation.report import document, load, render_html
from simulation.scenario import Scenario
from tests.conftest import small_scenario

TELEHEALTH = {"type": "telehealth", "name": "telehealth", "start": "2025-04-01", "capacity_patients": 400,
              "crisis_hazard_ratio": 0.5, "maturity": {"curve": "step"}, "funded_by": "icb",
              "eligibility": {"min_age": 18, "segments": ["ltc", "complex", "frailty"]},
              "costs": {"setup": 20000.0, "per_use": 1500.0, "price_year": 2013}}
CLOSURE = {"type": "capacity_change", "name": "close a ward", "start": "2026-04-01", "service": "acute",
           "change": -3, "maturity": {"curve": "step"}, "funded_by": "acute_trust"}


def _variant(base: Scenario, name: str, interventions: list, **money) -> Scenario:
    data = base.model_dump()
    data["name"] = name
    data["interventions"] = interventions
    data["money"].update(money)
    return Scenario.model_validate(data)


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    base = small_scenario(size=10_000, years=2, replications=2)
    scenarios = [
        base,
        _variant(base, "later", [{**TELEHEALTH, "start": "2040-04-01"}]),
        _variant(base, "telehealth", [TELEHEALTH, CLOSURE], acute_ward_beds=2),
    ]
    out = tmp_path_factory.mktemp("money") / "batch"
    output.write_manifest(out, output.build_manifest(scenarios, ["base.yaml", "later.yaml", "telehealth.yaml"],
                                                     "baseline", ["run"]))

    def done(result):
        assert result.ok, result.error
        t = result.task
        output.write_run(out, t.scenario_name, t.replication, result.metrics, result.daily, result.info)

    execute(scenarios, tasks_for(scenarios), 1, done)
    output.write_summaries(out, [sc.name for sc in scenarios], "baseline")
    return out


def test_money_csv_and_the_derived_metrics_are_written(batch):
    money = pd.read_csv(batch / "money.csv")
    assert set(money["scenario"]) == {"later", "telehealth"}
    assert set(money["view"]) >= {"economic", "contracts", "tariff", "block", "pooled", "savings", "investment"}
    summary = plots.read_table(batch / "summary.csv")
    for name in ("cost_total", "investment_icb", "cost_cash_acute_trust", "payment_acute_trust",
                 "payment_tariff_acute_trust", "payment_pooled_icb", "net_cost_pooled_local_authority",
                 "net_cost_total"):
        assert (summary["metric"] == name).any(), name
    comparison = plots.read_table(batch / "comparison.csv")
    assert (comparison["metric"] == "net_cost_tariff_icb").any()
    # metrics.parquet holds only what one run can know
    stored = pd.read_parquet(batch / "telehealth" / "rep=0" / "metrics.parquet")
    assert "cost_total" in set(stored["metric"]) and "payment_icb" not in set(stored["metric"])


def test_a_change_that_starts_after_the_horizon_costs_nothing_extra(batch):
    money = pd.read_csv(batch / "money.csv")
    later = money[(money["scenario"] == "later") & money["measure"].isin(["net_cost_change", "npv", "investment"])]
    assert len(later) > 50
    assert (later[["mean", "ci_low", "ci_high"]] == 0).all().all()


def test_payments_only_move_money_in_every_run(batch):
    runs, _ = output.runs_with_money(batch, ["baseline", "later", "telehealth"], "baseline")
    wide = runs.pivot_table(index=["scenario", "replication", "year"], columns="metric", values="value",
                            aggfunc="first")
    scale = float(wide["net_cost_total"].abs().max())
    for view in VIEWS:
        mid = "" if view == "contracts" else f"{view}_"
        assert (wide[[f"payment_{mid}{o}" for o in ORGANISATIONS]].sum(axis=1).abs() < 1e-9 * scale).all()
        assert np.allclose(wide[[f"net_cost_{mid}{o}" for o in ORGANISATIONS]].sum(axis=1), wide["net_cost_total"])
    assert np.allclose(wide[[f"cost_{o}" for o in ORGANISATIONS]].sum(axis=1), wide["cost_total"])


def test_the_scenario_invests_and_closing_beds_releases_cash(batch):
    money = pd.read_csv(batch / "money.csv")

    def row(view, org, measure, year="all"):
        r = money[(money["scenario"] == "telehealth") & (money["view"] == view) & (money["organisation"] == org)
                  & (money["measure"] == measure) & (money["year"].astype(str) == str(year))]
        return r.iloc[0]

    up = 100.0 / 73.7  # 2013 prices to 2024/25
    assert row("investment", "icb", "investment", 1)["mean"] > 20000.0 * 10_000 / 250_000 * up
    assert row("investment", "acute_trust", "investment")["mean"] == 0
    # beds close in year 2 (a 3-bed cut in 2-bed wards releases one ward): cash only from then
    acute_cash = [row("savings", "acute_trust", "saving_cash_releasing", y)["mean"] for y in (1, 2)]
    assert acute_cash[1] - acute_cash[0] > 0
    assert row("economic", "total", "npv")["replications"] == 2


def test_the_report_shows_who_invests_and_who_saves_under_tariff_and_pooled(batch):
    b = load(batch)
    specs = {s.name: s for s in plots.figure_specs(b.view)}
    name = f"money_who_pays_{output.slug('telehealth')}"
    assert name in specs and "money_cumulative_net_benefit" in specs
    assert plots.build(specs[name]) is not None
    page = render_html(document(b, specs), {})
    assert '<h2 id="money">Money</h2>' in page
    assert "telehealth: who invests and who saves" in page
    assert "Under an activity tariff (every NHS contract)" in page
    assert "Under a pooled budget with a risk and gain share" in page
    assert "Cash-releasing saving" in page and "NPV, cash" in page
    for label in ("ICB (commissioner)", "Acute trust", "Local authority (social care)"):
        assert label in page

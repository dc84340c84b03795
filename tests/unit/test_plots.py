"""Figures: every figure as PNG and SVG, identical bytes on a rerun, no negative band for counts,
direct labels that do not collide; built on a small synthetic batch (no simulation needed)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import PolyCollection
from matplotlib.text import Annotation

from simulation import output, plots
from simulation.metrics import METRICS
from tests.conftest import small_scenario

ODD = 'A <b>&</b> "x" $5'
NAMES = ("baseline", "more beds", ODD)
#: metric -> (typical yearly value, relative spread between replications)
FAKE = {
    "emergency_admissions": (2500.0, 0.02),
    "ae_attendances": (9000.0, 0.02),
    "ambulance_conveyances": (2800.0, 0.02),
    "bed_days": (15000.0, 0.03),
    "bed_occupancy_mean": (0.85, 0.03),
    "delayed_discharge_bed_days": (300.0, 0.9),  # so noisy that its 95% CI reaches below zero
    "days_occupancy_above_92pct": (60.0, 0.4),
    "deaths": (200.0, 0.05),
    "deaths_in_hospital_share": (0.43, 0.04),
    "deaths_in_care_home_share": (0.10, 0.04),
    "deaths_at_home_share": (0.38, 0.04),
    "deaths_hospice_other_share": (0.09, 0.04),
    "days_at_home_per_person_65plus": (354.0, 0.002),
    "care_home_admissions_permanent": (40.0, 0.1),
}


def _metrics(rng: np.random.Generator, shift: float, years: int, cost: bool) -> pd.DataFrame:
    rows = []
    fake = dict(FAKE)
    if cost:
        fake["cost_total"] = (2.0e6, 0.05)
    for metric, (typical, spread) in fake.items():
        kind = METRICS[metric].kind if metric in METRICS else "count"
        yearly = typical * (1 + shift) * (1 + spread * rng.standard_normal(years))
        yearly = np.maximum(yearly, 0.0)
        rows += [(metric, k + 1, float(v)) for k, v in enumerate(yearly)]
        rows.append((metric, "all", float(yearly.sum() if kind == "count" else yearly.mean())))
    table = pd.DataFrame(rows, columns=["metric", "year", "value"])
    table["year"] = table["year"].astype(object)
    return table


def _daily(rng: np.random.Generator, beds: int, years: int) -> pd.DataFrame:
    days = 365 * (years + 1) + 1
    occupied = np.minimum(rng.binomial(beds, 0.86, size=days), beds).astype(float)
    occupied[:30] = np.linspace(0, occupied[30], 30)  # the warm-up fills the beds
    d = pd.DataFrame({"day": np.arange(days), "year": np.minimum(np.arange(days) // 365, years)})
    for col in plots.CENSUS_COLUMNS:
        d[col] = occupied if col == "beds_occupied" else np.full(days, 5.0)
    return d


def make_batch(root, names=NAMES, replications: int = 3, years: int = 3, cost: bool = False):
    """A batch folder with a manifest, completed runs and summaries, from made-up numbers."""
    batch = root / "batch"
    base = small_scenario(years=years, replications=replications)
    scenarios = []
    for i, name in enumerate(names):
        sc = base.model_copy(update={"name": name, "description": f"Scenario {i}: see https://example.org"})
        if i == 1:
            acute = sc.services.acute.model_copy(update={"beds": sc.services.acute.beds + 3})
            sc = sc.model_copy(update={"services": sc.services.model_copy(update={"acute": acute})})
        scenarios.append(sc)
    output.write_manifest(batch, output.build_manifest(scenarios, [f"{n}.yaml" for n in names], names[0],
                                                       ["run", "--made-up"]))
    for i, sc in enumerate(scenarios):
        for rep in range(replications):
            rng = np.random.default_rng(1000 + rep)  # the same numbers in every scenario: paired
            metrics = _metrics(rng, -0.03 * i, years, cost)
            daily = _daily(rng, sc.services.acute.beds, years)
            output.write_run(batch, sc.name, rep, metrics, daily, {"replication": rep})
    output.write_summaries(batch, list(names), names[0])
    return batch


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    return make_batch(tmp_path_factory.mktemp("plots"))


@pytest.fixture(scope="module")
def drawn(batch):
    summary = plots.read_table(batch / "summary.csv")
    comparison = plots.read_table(batch / "comparison.csv")
    files = plots.draw_all(batch, summary, comparison, list(NAMES), NAMES[0])
    return files, {f: f.read_bytes() for f in files}


def test_every_figure_is_written_as_png_and_svg(drawn):
    files, data = drawn
    stems = {f.stem for f in files}
    expected = {"difference_from_baseline", "emergency_admissions", "ae_attendances", "bed_occupancy_mean",
                "delayed_discharge_bed_days", "differences_by_year", "occupancy_distribution", "people_outcomes",
                "warmup_check", f"differences_by_year_{output.slug(ODD)}"}
    assert expected <= stems
    for stem in stems:
        png = next(f for f in files if f.stem == stem and f.suffix == ".png")
        svg = next(f for f in files if f.stem == stem and f.suffix == ".svg")
        assert data[png].startswith(b"\x89PNG\r\n\x1a\n") and len(data[png]) > 5000
        assert b"<svg" in data[svg][:2000] and len(data[svg]) > 5000
    assert not any(b"Software" in data[f] for f in files if f.suffix == ".png")
    assert not any(b"<dc:date>" in data[f] for f in files if f.suffix == ".svg")


def test_figures_are_byte_identical_on_a_rerun(batch, drawn):
    files, first = drawn
    view = plots.BatchView.from_batch(batch)
    again = ("emergency_admissions", "differences_by_year", "occupancy_distribution", "people_outcomes")
    specs = [spec for spec in plots.figure_specs(view) if spec.name in again]
    assert len(specs) == len(again)
    for spec in specs:
        fig = plots.build(spec)
        for fmt in ("png", "svg"):
            assert plots.render(fig, fmt) == first[batch / "plots" / f"{spec.name}.{fmt}"], (spec.name, fmt)


def test_count_bands_are_never_negative(batch):
    view = plots.BatchView.from_batch(batch)
    s = view.summary
    raw = s[(s["metric"] == "delayed_discharge_bed_days") & (s["year"] != "all")]["ci_low"]
    assert (raw < 0).any(), "the made-up batch should have a confidence interval below zero"
    for metric in plots.TREND_METRICS:
        fig = plots.build(plots.FigureSpec(metric, "time", "", lambda m=metric: plots.fan_chart(view, m)))
        if fig is None:  # a metric the made-up batch does not have (cost_total): no figure, not an empty one
            assert not (s["metric"] == metric).any(), metric
            continue
        bands = [c for ax in fig.axes for c in ax.collections if isinstance(c, PolyCollection)]
        assert bands, metric
        for band in bands:
            for path in band.get_paths():
                ys = path.vertices[:, 1]
                assert np.nanmin(ys) >= -1e-9, metric


def test_one_scenario_is_nhs_blue_and_several_are_okabe_ito():
    assert plots.colours(1) == [plots.NHS_BLUE]
    assert plots.colours(3) == plots.OKABE_ITO[:3]
    assert plots.colours(10)[8] == plots.OKABE_ITO[0]


def test_spread_labels_keeps_order_and_gap():
    wanted = np.array([5.0, 0.0, 0.1, 0.2, 20.0])
    placed = plots.spread_labels(wanted, gap=1.0, lower=-1.0, upper=30.0)
    order = np.argsort(wanted, kind="stable")
    assert np.all(np.diff(placed[order]) >= 1.0 - 1e-9)
    assert list(np.argsort(placed, kind="stable")) == list(order)
    assert placed[0] == pytest.approx(5.0) and placed[4] == pytest.approx(20.0)  # far labels stay put
    assert placed[[1, 2, 3]].mean() == pytest.approx(0.1)  # a cluster stays centred where it was wanted
    capped = plots.spread_labels([0.0, 0.0, 0.0], gap=1.0, upper=0.5)
    assert capped.max() <= 0.5 + 1e-9


def test_direct_labels_do_not_overlap(batch):
    view = plots.BatchView.from_batch(batch)
    fig = plots.build(plots.FigureSpec("d", "differences", "", lambda: plots.differences_by_year(
        view, plots.KEY_METRICS, view.others, "t")))
    FigureCanvasAgg(fig)
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    checked = 0
    for ax in fig.axes:
        boxes = [t.get_window_extent(renderer) for t in ax.texts if isinstance(t, Annotation)]
        for i in range(len(boxes)):
            for j in range(i + 1, len(boxes)):
                checked += 1
                assert not boxes[i].overlaps(boxes[j]), (ax.get_title(), i, j)
    assert checked >= len(plots.KEY_METRICS)


def test_a_one_year_batch_still_draws(tmp_path):
    batch = make_batch(tmp_path, replications=2, years=1)
    view = plots.BatchView.from_batch(batch)
    wanted = {"emergency_admissions", "differences_by_year"}
    specs = [s for s in plots.figure_specs(view) if s.name in wanted]
    assert {s.name for s in specs} == wanted
    for spec in specs:
        fig = plots.build(spec)
        assert fig is not None, spec.name
        assert plots.render(fig, "png").startswith(b"\x89PNG")

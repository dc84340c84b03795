"""One-way (tornado) sensitivity analysis with paired replications.

Each parameter is a dotted path into the scenario (``services.acute.beds``,
``discharge.weekend_discharge_factor``, ``interventions[0].crisis_hazard_ratio``
or, by name, ``interventions.telehealth.crisis_hazard_ratio``) with a low and a
high value. The scenario is run as stated (the *base*) and once with each
parameter at each end, the others as stated; every variant uses the same
replications as the base (common random numbers), so each end's effect is a
paired difference with a 95% confidence interval. Values are set after any
``--population`` rescaling: a bed count is taken as written, at the size run.

The probabilistic counterpart, an intervention's effect and ramp-up drawn per
replication, is ``draws.effect_multiplier`` / ``draws.midpoint_months`` in the
scenario itself (docs/sensitivity.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .scenario.schema import Scenario


@dataclass(frozen=True)
class Param:
    """One parameter of a one-way analysis: a dotted path and its low and high values."""

    path: str
    low: Any
    high: Any


def parse_param(text: str) -> Param:
    """``"services.acute.beds=400,480"`` -> ``Param("services.acute.beds", 400, 480)`` (ValueError if not)."""
    import yaml

    path, sep, values = text.partition("=")
    parts = values.split(",")
    if not sep or not path.strip() or len(parts) != 2 or not all(p.strip() for p in parts):
        raise ValueError(f"--param {text!r}: expected PATH=LOW,HIGH, e.g. services.acute.beds=400,480")
    low, high = (yaml.safe_load(p.strip()) for p in parts)
    return Param(path.strip(), low, high)


def _split(path: str) -> list[str | int]:
    from .scenario.sweep import parse_path

    parts = parse_path(path)
    if parts is None:
        raise ValueError(f"{path!r} is not a dotted path (e.g. services.acute.beds)")
    return parts


def get_path(scenario: Scenario, path: str) -> Any:
    """The value at a dotted path of the scenario."""
    node: Any = scenario.model_dump()
    for part in _split(path):
        node = _child(node, part, path)[0]
    return node


def _child(node: Any, part: str | int, path: str) -> tuple[Any, Any]:
    """(child value, key to set it) of `node`; list items may be named (interventions by name)."""
    if isinstance(node, list):
        if isinstance(part, int):
            if 0 <= part < len(node):
                return node[part], part
        else:
            for i, item in enumerate(node):
                if isinstance(item, dict) and item.get("name") == part:
                    return item, i
        raise ValueError(f"{path!r}: no item {part!r} in this list")
    if isinstance(node, dict) and part in node:
        return node[part], part
    raise ValueError(f"{path!r}: the scenario has no setting {part!r} there")


def with_value(scenario: Scenario, path: str, value: Any) -> Scenario:
    """The scenario with the setting at `path` replaced by `value`, validated (ValueError if it does not fit)."""
    data = scenario.model_dump()
    parts = _split(path)
    node: Any = data
    for part in parts[:-1]:
        node = _child(node, part, path)[0]
    _, key = _child(node, parts[-1], path)
    node[key] = value
    try:
        return Scenario.model_validate(data)
    except Exception as err:  # pydantic ValidationError: keep the first line of its message
        first = [ln for ln in str(err).splitlines() if ln.strip()][-1].strip()
        raise ValueError(f"{path}={value!r} does not fit the scenario: {first}") from None


def variants(scenario: Scenario, params: list[Param]) -> list[tuple[str, Scenario]]:
    """(label, scenario) for the base and each parameter's low and high end, in that order."""
    out = [("base", scenario)]
    for p in params:
        get_path(scenario, p.path)  # the path must exist
        for end, value in (("low", p.low), ("high", p.high)):
            sc = with_value(scenario, p.path, value)
            out.append((f"{p.path}={end}", sc.model_copy(update={"name": f"{scenario.name} [{p.path}={value}]"})))
    return out


def run_variants(items: list[tuple[str, Scenario]], jobs: int = 1) -> pd.DataFrame:
    """Run every variant's replications; a long table ``variant, replication, metric, year, value``."""
    from .experiment import execute, tasks_for

    scenarios = [sc for _, sc in items]
    labels = [label for label, _ in items]
    rows: list[pd.DataFrame] = []
    errors: list[str] = []

    def on_result(res) -> None:
        if not res.ok:
            errors.append(f"{labels[res.task.scenario_index]} rep={res.task.replication}: "
                          f"{res.error.strip().splitlines()[-1]}")
            return
        m = res.metrics.copy()
        m["variant"] = labels[res.task.scenario_index]
        m["replication"] = res.task.replication
        rows.append(m)

    execute(scenarios, tasks_for(scenarios), jobs, on_result)
    if errors:
        raise RuntimeError("runs failed: " + "; ".join(errors[:3]))
    return pd.concat(rows, ignore_index=True)


def tornado_table(runs: pd.DataFrame, params: list[Param], metric: str, year: str = "all",
                  confidence: float = 0.95) -> pd.DataFrame:
    """Per parameter: the metric at each end and its paired difference from the base, with CIs.

    Sorted by swing (|high end - low end|), largest first.
    """
    from .analysis import mean_ci

    sel = runs[(runs["metric"] == metric) & (runs["year"].astype(str) == str(year))]
    if sel.empty:
        raise ValueError(f"no metric {metric!r} (year {year}) in the runs")
    wide = sel.pivot_table(index="replication", columns="variant", values="value", aggfunc="first")
    base = wide["base"]
    out = []
    for p in params:
        row = {"parameter": p.path, "low": p.low, "high": p.high, "base_mean": float(base.mean()),
               "replications": int(base.notna().sum())}
        for end in ("low", "high"):
            col = wide[f"{p.path}={end}"]
            d = (col - base).dropna().to_numpy()
            mean, lo, hi = mean_ci(d, confidence) if d.size > 1 else (float(d.mean()), np.nan, np.nan)
            row[f"{end}_mean"] = float(col.mean())
            row[f"{end}_diff"], row[f"{end}_ci_low"], row[f"{end}_ci_high"] = mean, lo, hi
        row["swing"] = abs(row["high_diff"] - row["low_diff"])
        out.append(row)
    return pd.DataFrame(out).sort_values("swing", ascending=False, kind="stable").reset_index(drop=True)


def one_way(scenario: Scenario, params: list[Param], metric: str, jobs: int = 1,
            year: str = "all") -> pd.DataFrame:
    """Run the base and every low/high variant (paired) and return :func:`tornado_table`."""
    runs = run_variants(variants(scenario, params), jobs)
    return tornado_table(runs, params, metric, year)


def tornado_text(table: pd.DataFrame, metric: str, scenario_name: str) -> str:
    """A short text table of :func:`tornado_table`."""
    n = int(table["replications"].max()) if len(table) else 0
    base = float(table["base_mean"].iloc[0]) if len(table) else float("nan")
    lines = [f"One-way sensitivity of {metric} (whole horizon) in {scenario_name!r}: base {base:,.4g}, "
             f"{n} paired replication(s); change from base [95% CI]",
             f"{'parameter':<44}{'low':>10}{'change at low':>30}{'high':>10}{'change at high':>30}"]

    def cell(r, end):
        text = f"{r[end + '_diff']:+,.4g}"
        if r[end + "_ci_low"] == r[end + "_ci_low"]:
            text += f" [{r[end + '_ci_low']:+,.4g}, {r[end + '_ci_high']:+,.4g}]"
        return text

    for _, r in table.iterrows():
        lines.append(f"{r['parameter'][:43]:<44}{str(r['low']):>10}{cell(r, 'low'):>30}{str(r['high']):>10}"
                     f"{cell(r, 'high'):>30}")
    return "\n".join(lines)

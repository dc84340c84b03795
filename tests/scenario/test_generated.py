"""Generated files stay equal to what the schema makes, and every bundled scenario loads and runs."""

from __future__ import annotations

import json

import pytest
from pydantic import BaseModel

from simulation.economy import Economy
from simulation.metrics import outputs_markdown
from simulation.scenario import Scenario
from simulation.scenario.document import LIBRARY_MODELINE, MODELINE, baseline_yaml, json_schema
from simulation.scenario.loader import load_scenario
from simulation.scenario.transform import with_population, with_run
from tests.conftest import ROOT

REGENERATE = "regenerate with: python -m simulation.scenario.document"
SCENARIO_FILES = sorted((ROOT / "scenarios").glob("*.yaml")) + sorted((ROOT / "scenarios" / "library").glob("*.yaml"))


def test_baseline_yaml_is_generated_from_the_schema():
    assert (ROOT / "scenarios" / "baseline.yaml").read_text(encoding="utf-8") == baseline_yaml(), REGENERATE
    library = (ROOT / "scenarios" / "library" / "baseline.yaml").read_text(encoding="utf-8")
    assert library == baseline_yaml(library=True), REGENERATE
    assert load_scenario(ROOT / "scenarios" / "library" / "baseline.yaml") == Scenario()


def test_baseline_yaml_loads_to_the_schema_defaults():
    assert load_scenario(ROOT / "scenarios" / "baseline.yaml") == Scenario()


def test_committed_json_schema_is_current():
    committed = json.loads((ROOT / "schemas" / "scenario.schema.json").read_text(encoding="utf-8"))
    assert committed == json_schema(), REGENERATE


def test_outputs_doc_is_current():
    assert (ROOT / "docs" / "outputs.md").read_text(encoding="utf-8") == outputs_markdown(), REGENERATE


def test_every_default_cites_a_source_or_is_a_setting():
    """Each numeric default of the place carries a source; run settings and names need none."""
    def walk(model, path=""):
        for name, field in type(model).model_fields.items():
            value = getattr(model, name)
            p = f"{path}.{name}" if path else name
            extra = field.json_schema_extra or {}
            if isinstance(value, BaseModel) and not extra.get("source"):
                yield from walk(value, p)
            elif not p.startswith(("run.", "name", "description", "interventions")):  # the baseline has none
                yield p, extra.get("source", "")
    missing = [p for p, src in walk(Scenario()) if not src]
    assert not missing, f"defaults without a source: {missing}"


@pytest.mark.parametrize("path", SCENARIO_FILES, ids=lambda p: p.name)
def test_every_scenario_file_starts_with_the_modeline_loads_and_runs(path):
    assert path.read_text(encoding="utf-8").splitlines()[0] == (
        LIBRARY_MODELINE if path.parent.name == "library" else MODELINE)
    sc = load_scenario(path)
    sc = with_run(with_population(sc, 10_000), horizon_years=1)
    eco = Economy(sc, 0).run()
    assert eco.tally("emergency_admissions").sum() > 0


def test_committed_sweep_schema_is_current():
    from simulation.scenario.sweep import sweep_json_schema

    committed = json.loads((ROOT / "schemas" / "sweep.schema.json").read_text(encoding="utf-8"))
    assert committed == sweep_json_schema(), REGENERATE
